import Foundation
import Hummingbird
import Postgres

/// The overview and tenants pages.
extension Console {
    /// How many of the newest job ids the throughput counts look at (see `ConsoleSQL.throughput`).
    static let throughputWindow = 20_000

    func overview(_ user: ConsoleUser) async throws -> Response {
        // Not tenant data: read as the console's own role.
        let (workers, newest) = try await db.run(as: nil) { connection in
            (try connection.queryRow(ConsoleSQL.workersAlive)?.decode("n", as: Int64.self) ?? 0,
             try connection.queryRow(ConsoleSQL.newestJob)?.decode("id", as: Int64.self) ?? 0)
        }
        let counts = try await db.run(as: user) { connection -> [String: String] in
            var values: [String: String] = [:]
            if let row = try connection.queryRow(ConsoleSQL.jobCounts) {
                for column in ["ready", "scheduled", "running", "failed", "cancelled"] { values[column] = "\(try row.decode(column, as: Int64.self))" }
                values["oldestReady"] = Show.seconds(try row.decodeIfPresent("oldest_ready_seconds", as: Double.self))
            }
            if let row = try connection.queryRow(ConsoleSQL.throughput, [newest - Int64(Self.throughputWindow)]) {
                values["lastMinute"] = "\(try row.decode("last_minute", as: Int64.self))"
                values["lastHour"] = "\(try row.decode("last_hour", as: Int64.self))"
                values["succeededLastHour"] = "\(try row.decode("succeeded_last_hour", as: Int64.self))"
            }
            return values
        }
        var values: [String: Any] = counts
        values["workers"] = "\(workers)"
        values["window"] = Self.throughputWindow.formatted()
        values["tenant"] = user.tenant ?? ""
        return pages.page("overview", title: "Overview", user: user, values)
    }

    func tenants(_ user: ConsoleUser) async throws -> Response {
        guard user.isOperator else { throw PageError(.forbidden, "the tenants page is for operators; you act for tenant \(user.tenant ?? "")") }
        let rows = try await db.run(as: user) { connection in
            try connection.query(ConsoleSQL.tenants).map { row -> [String: String] in
                let name: String = try row.decode("name")
                return [
                    "name": name, "nameQuery": Show.query(name), "mode": try row.decode("aws_mode"), "region": try row.decode("region"),
                    "backend": try row.decode("default_backend"), "gpu": try row.decode("gpu_access", as: Bool.self) ? "yes" : "no",
                    "live": "\(try row.decode("live_clusters", as: Int64.self))", "ready": "\(try row.decode("ready_clusters", as: Int64.self))",
                    "workers": "\(try row.decode("workers", as: Int64.self))", "runningJobs": "\(try row.decode("running_jobs", as: Int64.self))",
                    "created": Show.date(try row.decode("created_at")),
                ]
            }
        }
        return pages.page("tenants", title: "Tenants", user: user, ["tenants": rows])
    }
}
