import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// Each NOTIFY channel is named once in SQL, by the function that sends it, and once in Swift, by
/// the constant listeners use (and the statements that take it as a bind): here the two meet.
@Suite struct ChannelTests {
    @Test func theSQLNotifiesOnTheChannelsTheSwiftListensOn() throws {
        let db = try TestDatabase.create()
        let admin = try db.connect()
        let listener = try db.connect()
        for channel in [JobQueue.notifyChannel, JobQueue.cancelChannel, EventLog.channel] { try listener.listen(channel) }
        let queue = JobQueue(admin)
        // berth.jobs_notify (the trigger on enqueues), berth.request_job_cancel, QueueSQL.retry's
        // bind, berth.events_notify (the trigger on events).
        let id = try #require(try queue.enqueue(.init(kind: "noop", runAt: Date().addingTimeInterval(3600))).first)
        #expect(try queue.cancel(id: id) == .cancelled)
        try queue.retry(id: id)
        try admin.executeScript("insert into berth.events (tenant, type, message) values ('t', 'test', 'a test event')",
                                operation: "test_insert_event")

        var received: [Postgres.Notification] = []
        try poll(timeout: 10, "a notification on each channel") {
            received += try listener.waitForNotifications(timeout: 0.2).notifications
            return received.filter { $0.channel == JobQueue.notifyChannel }.count == 2
                && received.contains { $0.channel == JobQueue.cancelChannel } && received.contains { $0.channel == EventLog.channel }
        }
        #expect(received.filter { $0.channel == JobQueue.cancelChannel }.map(\.payload) == [String(id)])
        #expect(Set(received.map(\.channel)) == [JobQueue.notifyChannel, JobQueue.cancelChannel, EventLog.channel])
    }
}
