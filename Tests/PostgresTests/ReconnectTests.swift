import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ReconnectTests {
    /// A private server restarted for real (the shared one serves the other tests).
    @Test func reconnectsAfterTheServerRestarts() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("berth-restart-\(UUID().uuidString.prefix(8))").path
        let start = try runScript("pg-start", [state])
        #expect(start.status == 0, "pg-start failed: \(start.output)")
        defer { _ = try? runScript("pg-stop", [state]) }
        let url = try #require(start.output.split(separator: "\n").first { $0.hasPrefix("export DATABASE_URL=") }?
            .dropFirst("export DATABASE_URL=".count)).description

        let connection = try Connection(url: url)
        try connection.listen("after_restart")
        let pidBefore = connection.backendPID
        let restart = try runScript("pg-restart", [state])
        #expect(restart.status == 0, "pg-restart failed: \(restart.output)")

        // The first statement after the restart fails as a connection error …
        let lost = #expect(throws: PostgresError.self) { try connection.query(SQL("probe", "select 1 as x")) }
        #expect(lost?.isConnectionError == true)
        // … and the next one reconnects, with the LISTEN restored.
        #expect(try connection.queryRow(SQL("probe", "select 1 as x"))?.decode("x", as: Int.self) == 1)
        #expect(connection.backendPID != pidBefore)
        let other = try Connection(url: url)
        try other.query(SQL("notify", "select pg_notify('after_restart', 'back')"))
        let notes = try poll(timeout: 5, "notification after reconnect", until: { !$0.isEmpty }) {
            try connection.waitForNotifications(timeout: 1).notifications
        }
        #expect(notes.first?.payload == "back")
    }

    private func runScript(_ name: String, _ args: [String]) throws -> (status: Int32, output: String) {
        try spawnAndWait(Project.root.appendingPathComponent("scripts/\(name)").path, args)
    }
}
