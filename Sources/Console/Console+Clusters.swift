import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Postgres
import Provisioning

/// The clusters list, a cluster's page, its live events, and deleting it.
extension Console {
    static let pageSize = 100
    static let clusterStates = ["pending", "starting", "ready", "scaling", "degraded", "stopping", "stopped", "error"]
    static let backends = ["ecs", "vm"]
    static let clusterPrefix = try! NSRegularExpression(pattern: "^[a-z0-9-]{1,63}$")
    static let clusterKey = try! NSRegularExpression(pattern: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00\|[0-9a-f-]{36}$"#)

    func clusters(_ request: Request, _ user: ConsoleUser) async throws -> Response {
        let tenant = try Self.filter(request, "tenant", allowed: { Self.matches(Self.tenantName, $0) }, what: "a tenant name")
        let state = try Self.filter(request, "state", allowed: Self.clusterStates.contains, what: Self.clusterStates.joined(separator: ", "))
        let backend = try Self.filter(request, "backend", allowed: Self.backends.contains, what: "ecs or vm")
        let name = try Self.filter(request, "name", allowed: { Self.matches(Self.clusterPrefix, $0) }, what: "the start of a cluster name")
        let before = try Self.filter(request, "before", allowed: { Self.matches(Self.clusterKey, $0) }, what: "a page key from this page's links")
        let beforeParts = before?.split(separator: "|").map(String.init)
        let rows = try await db.run(as: user) { connection in
            try connection.query(ConsoleSQL.clusters, [tenant, state, backend, name, beforeParts?[0], beforeParts.flatMap { UUID(uuidString: $0[1]) },
                                                      Self.pageSize]).map { row -> [String: String] in
                [
                    "id": try row.decode("id", as: UUID.self).uuidString.lowercased(), "tenant": try row.decode("tenant"),
                    "name": try row.decode("name"), "state": try row.decode("state"), "backend": try row.decode("backend"),
                    "region": try row.decode("region"), "workers": try row.decode("workers"), "error": try row.decode("error"),
                    "created": Show.date(try row.decode("created_at")), "key": try row.decode("created_key"),
                ]
            }
        }
        var next: String?
        if rows.count == Self.pageSize, let last = rows.last {
            var query = [("before", "\(last["key"]!)|\(last["id"]!)")]
            for (key, value) in [("tenant", tenant), ("state", state), ("backend", backend), ("name", name)] { if let value { query.append((key, value)) } }
            next = "/clusters?" + query.map { "\($0.0)=\(Show.query($0.1))" }.joined(separator: "&")
        }
        return pages.page("clusters", title: "Clusters", user: user, [
            "clusters": rows, "next": next ?? "", "boundTenant": !user.isOperator, "filterTenant": tenant ?? "", "filterName": name ?? "",
            "states": Self.options(Self.clusterStates, selected: state), "backends": Self.options(Self.backends, selected: backend),
        ])
    }

    struct ClusterView: Sendable {
        var fields: [String: String]
        var events: [[String: String]]
        var steps: [[String: String]]
    }

    func cluster(_ id: UUID, _ user: ConsoleUser, notice: String? = nil) async throws -> Response {
        let view = try await db.run(as: user) { connection -> ClusterView? in
            guard let row = try connection.queryRow(ConsoleSQL.cluster, [id]) else { return nil }
            let address: String? = try row.decodeIfPresent("scheduler_address")
            let publicAddress: String? = try row.decodeIfPresent("scheduler_public_address")
            let state: String = try row.decode("state")
            var fields: [String: String] = [
                "id": id.uuidString.lowercased(), "tenant": try row.decode("tenant"), "name": try row.decode("name"), "state": state,
                "backend": try row.decode("backend"), "region": try row.decode("region"), "spec": Show.json(try row.decode("spec")),
                "error": try row.decode("error"), "scheduler": address ?? "",
                "created": Show.date(try row.decode("created_at")), "updated": Show.date(try row.decode("updated_at")),
                "createJob": (try row.decodeIfPresent("create_job", as: Int64.self)).map { "\($0)" } ?? "",
                "deleteJob": (try row.decodeIfPresent("delete_job", as: Int64.self)).map { "\($0)" } ?? "",
            ]
            // Dask's dashboard listens on 8787 beside the scheduler (the host part of its address).
            if let host = Self.host(of: publicAddress ?? address), ["ready", "scaling", "degraded"].contains(state) { fields["dashboard"] = "http://\(host):8787/status" }
            let desired: String = try row.decode("desired")
            if ["pending", "starting", "ready", "scaling", "degraded", "error"].contains(state) && desired == "running" {
                fields["canDelete"] = "yes"
            }
            let events = try connection.query(ConsoleSQL.clusterEvents, [id, 200]).map { row -> [String: String] in
                ["id": "\(try row.decode("id", as: Int64.self))", "at": Show.date(try row.decode("at")), "type": try row.decode("type"),
                 "message": try row.decode("message")]
            }
            var steps: [[String: String]] = []
            if user.isOperator {
                steps = try connection.query(ConsoleSQL.clusterSteps, ["cluster:\(id.uuidString.lowercased())"]).map { row in
                    ["step": try row.decode("step"), "state": try row.decode("state"), "outputs": try row.decode("outputs"),
                     "updated": Show.date(try row.decode("updated_at"))]
                }
            }
            return ClusterView(fields: fields, events: events, steps: steps)
        }
        guard let view else {
            // The same answer whether the cluster does not exist or belongs to another tenant.
            throw PageError(.notFound, "there is no cluster \(id.uuidString.lowercased()) among the clusters you may see")
        }
        var cluster: [String: Any] = view.fields
        cluster["canDelete"] = view.fields["canDelete"] != nil
        cluster["events"] = view.events
        cluster["lastEventId"] = view.events.last?["id"] ?? "0"
        cluster["showResources"] = user.isOperator
        cluster["steps"] = view.steps
        return pages.page("cluster", title: "Cluster \(view.fields["name"] ?? "")", user: user, notice: notice, ["cluster": cluster])
    }

    static func host(of address: String?) -> String? {
        guard let address, !address.isEmpty else { return nil }
        var text = Substring(address)
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        let host = text.split(separator: ":").first.map(String.init) ?? ""
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-"))
        return !host.isEmpty && host.unicodeScalars.allSatisfy(allowed.contains) ? host : nil
    }

    func deleteCluster(_ id: UUID, _ user: ConsoleUser) async throws -> Response {
        let deleted = try await db.run(as: user) { connection -> Bool in
            // Read as the user first: another tenant's cluster is "not found" here too.
            guard let row = try connection.queryRow(ConsoleSQL.cluster, [id]) else { return false }
            _ = try connection.query(ConsoleSQL.deleteCluster, [try row.decode("tenant", as: String.self), try row.decode("name", as: String.self)])
            return true
        }
        guard deleted else { throw PageError(.notFound, "there is no cluster \(id.uuidString.lowercased()) among the clusters you may see") }
        logger.info("console: cluster delete requested", metadata: ["user": "\(user.name)", "cluster": "\(id)"])
        return try await cluster(id, user, notice: "Delete requested: the cluster is being torn down.")
    }

    /// Server-sent events: the cluster's events after `after` (or `Last-Event-ID`), as they
    /// are committed. Each wake-up from the LISTEN hub (or its poll tick) reads the table as
    /// the user; each message's `id:` is a place to resume from that loses nothing, so a
    /// reconnecting browser may get an event twice (the page drops repeats by event id) but
    /// never misses one.
    func clusterEvents(_ request: Request, _ id: UUID, _ user: ConsoleUser) async throws -> Response {
        let after = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
            ?? request.uri.queryParameters["after"].flatMap { Int64($0) } ?? 0
        let visible = try await db.run(as: user) { connection in try connection.queryRow(ConsoleSQL.cluster, [id]) != nil }
        guard visible else { throw PageError(.notFound, "there is no cluster \(id.uuidString.lowercased()) among the clusters you may see") }
        guard streams.acquire(max: configuration.maxStreams) else {
            throw PageError(.serviceUnavailable, "too many live event streams are open (\(configuration.maxStreams)); try again later")
        }
        let subscription = hub.subscribe()
        let db = self.db
        let hub = self.hub
        let streams = self.streams
        let logger = self.logger
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer {
                hub.unsubscribe(subscription.id)
                streams.release()
            }
            var cursor = EventCursor(after: after)
            var lastWrite = Date()
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            // Set while the database cannot be read (a restart): logged once, not per wake-up.
            var unreadable = false
            for await _ in subscription.wakes {
                let watermark = cursor.watermark
                var text = ""
                do {
                    let events = try await db.run(as: user) { connection in
                        try EventLog(connection).after(watermark, filter: .init(clusterId: id), limit: 500)
                    }
                    if unreadable { logger.info("console: event stream reads the database again", metadata: ["cluster": "\(id)"]) }
                    unreadable = false
                    // Everything at or below the watermark before this read was sent earlier: the
                    // place to resume from if the connection drops while this batch is on its way.
                    let resume = cursor.watermark
                    text = cursor.accept(events).map { Self.message($0, resumeAfter: resume) }.joined()
                    cursor.advance(gapGrace: 5)
                } catch let error as PostgresError where error.isConnectionError {
                    // The server restarted or is away: the stream stays open, and the next wake-up
                    // (a notification, the hub's tick or its reconnect) reads again from the same
                    // place. The browser misses nothing and need not reconnect.
                    if !unreadable { logger.warning("console: event stream cannot read the database; retrying", metadata: ["error": "\(error)"]) }
                    unreadable = true
                }
                if !text.isEmpty {
                    try await writer.write(ByteBuffer(string: text))
                    lastWrite = Date()
                } else if Date().timeIntervalSince(lastWrite) > 15 {
                    try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                    lastWrite = Date()
                }
            }
            try await writer.finish(nil)
        })
    }

    /// One event as an SSE message: JSON data, and as its id where a reconnect resumes.
    static func message(_ event: Event, resumeAfter: Int64) -> String {
        var object: [String: Any] = ["id": event.id, "at": Show.date(event.at), "type": event.type, "message": event.message]
        if let step = event.step { object["step"] = step }
        if let state = event.state { object["cluster_state"] = state }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        return "event: event\nid: \(resumeAfter)\ndata: \(data)\n\n"
    }
}
