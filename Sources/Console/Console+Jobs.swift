import Foundation
import Hummingbird
import Postgres
import Queue

/// The jobs list, a job's page, and cancelling or retrying a job.
extension Console {
    static let jobStates = JobState.allCases.map(\.rawValue)
    /// Job ids one list page reads at most (outside the failed and cancelled lists).
    static let jobWindow: Int64 = 100_000

    func jobs(_ request: Request, _ user: ConsoleUser) async throws -> Response {
        let state = try Self.filter(request, "state", allowed: Self.jobStates.contains, what: Self.jobStates.joined(separator: ", "))
        let kind = try Self.filter(request, "kind", allowed: { $0.count <= 100 }, what: "a job kind (up to 100 characters)")
        let tenant = try Self.filter(request, "tenant", allowed: { Self.matches(Self.tenantName, $0) }, what: "a tenant name")
        let requested = try Self.filter(request, "before", allowed: { Int64($0).map { $0 > 0 } ?? false }, what: "a job id").flatMap { Int64($0) }
        let ids = try await db.run(as: nil) { connection in
            let row = try connection.queryRow(ConsoleSQL.jobIDs)
            return (low: try row?.decode("low", as: Int64.self) ?? 1, high: try row?.decode("high", as: Int64.self) ?? 0)
        }
        let before = min(requested ?? Int64.max, ids.high + 1)
        // Failed and cancelled jobs have an index of their own; any other list reads a window of
        // ids, so a page costs the same however few rows match.
        let low = state == "failed" || state == "cancelled" ? 0 : max(0, before - Self.jobWindow)
        let rows = try await db.run(as: user) { connection in
            try connection.query(ConsoleSQL.jobs, [state, kind, tenant, before, low, Self.pageSize]).map(Self.jobFields)
        }
        var next: String?
        var searched: String?
        let older = rows.count == Self.pageSize ? rows.last.flatMap { Int64($0["id"] ?? "") } : (low > ids.low ? low : nil)
        if let older {
            var query = [("before", "\(older)")]
            for (key, value) in [("state", state), ("kind", kind), ("tenant", tenant)] { if let value { query.append((key, value)) } }
            next = "/jobs?" + query.map { "\($0.0)=\(Show.query($0.1))" }.joined(separator: "&")
            if rows.count < Self.pageSize { searched = "Searched jobs \(low)-\(before - 1); older ones are on the next page." }
        }
        return pages.page("jobs", title: "Jobs", user: user, [
            "jobs": rows, "next": next ?? "", "searched": searched ?? "", "boundTenant": !user.isOperator, "filterKind": kind ?? "",
            "filterTenant": tenant ?? "", "states": Self.options(Self.jobStates, selected: state),
        ])
    }

    static func jobFields(_ row: Row) throws -> [String: String] {
        [
            "id": "\(try row.decode("id", as: Int64.self))", "kind": try row.decode("kind"), "tenant": try row.decode("tenant"),
            "state": try row.decode("state"), "attempt": "\(try row.decode("attempt", as: Int.self))",
            "maxAttempts": "\(try row.decode("max_attempts", as: Int.self))", "runAt": Show.date(try row.decode("run_at")),
            "lastError": try row.decode("last_error"), "created": Show.date(try row.decode("created_at")),
            "finished": Show.date(try row.decodeIfPresent("finished_at")),
        ]
    }

    struct JobView: Sendable {
        var fields: [String: String]
        var details: [String: String]?
        var attempts: [[String: String]]
    }

    func job(_ id: Int64, _ user: ConsoleUser, notice: String? = nil) async throws -> Response {
        let view = try await db.run(as: user) { connection -> JobView? in
            guard let row = try connection.queryRow(ConsoleSQL.job, [id]) else { return nil }
            var view = JobView(fields: try Self.jobFields(row), details: nil, attempts: [])
            // Arguments, error history and output are not granted to tenant roles.
            if user.isOperator, let details = try connection.queryRow(ConsoleSQL.jobDetails, [id]) {
                view.details = [
                    "args": Show.json(try details.decode("args")), "output": Show.json(try details.decode("output")),
                    "lockedBy": try details.decode("locked_by"), "cancelRequested": try details.decode("cancel_requested", as: Bool.self) ? "yes" : "no",
                ]
                view.attempts = Self.attempts(try details.decode("errors"))
            }
            return view
        }
        guard let view else { throw PageError(.notFound, "there is no job \(id) among the jobs you may see") }
        var job: [String: Any] = view.fields
        let state = view.fields["state"] ?? ""
        job["canCancel"] = state == "queued" || state == "running"
        job["canRetry"] = user.isOperator && ["failed", "cancelled", "succeeded"].contains(state)
        if var details = view.details.map({ $0 as [String: Any] }) {
            details["attempts"] = view.attempts
            job["details"] = details
        }
        let shown = notice.flatMap { Self.notices[$0] }
        return pages.page("job", title: "Job \(id)", user: user, notice: shown, ["job": job])
    }

    /// What the redirect after an action says (by code, so no text travels in the URL).
    static let notices = ["cancelled": "Cancel requested.", "retried": "The job is queued again."]

    /// The error history, oldest first: `[{at, attempt, error}]`.
    static func attempts(_ json: String) -> [[String: String]] {
        guard let data = json.data(using: .utf8), let items = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return items.map { item in
            ["at": "\(item["at"] ?? "")", "attempt": "\(item["attempt"] ?? "")", "error": "\(item["error"] ?? "")"]
        }
    }

    func cancelJob(_ id: Int64, _ user: ConsoleUser) async throws -> Response {
        try await db.run(as: user) { connection in _ = try connection.query(ConsoleSQL.cancelJob, [id]) }
        logger.info("console: job cancel requested", metadata: ["user": "\(user.name)", "job": "\(id)"])
        return .redirect(to: "/jobs/\(id)?done=cancelled", type: .normal)
    }

    func retryJob(_ id: Int64, _ user: ConsoleUser) async throws -> Response {
        guard user.isOperator else { throw PageError(.forbidden, "retrying a job is for operators") }
        do {
            try await db.run(as: user) { connection in try JobQueue(connection).retry(id: id) }
        } catch let error as QueueError {
            throw PageError(.badRequest, "\(error)")
        }
        logger.info("console: job retried", metadata: ["user": "\(user.name)", "job": "\(id)"])
        return .redirect(to: "/jobs/\(id)?done=retried", type: .normal)
    }
}
