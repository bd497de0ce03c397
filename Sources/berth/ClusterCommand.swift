import ArgumentParser
import Foundation
import Postgres
import Provisioning

/// `berth cluster …`: the SQL API (`berth.create_cluster` / `berth.scale_cluster` / `berth.delete_cluster`) from the shell.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Create, scale, delete, list and show Dask clusters.",
        subcommands: [Create.self, Scale.self, Delete.self, List.self, Show.self, Resources.self, Credentials.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask for a cluster (berth.create_cluster). Spec keys: see docs/provisioning.md.",
            discussion: "Precedence: flags, then BERTH_REGION / BERTH_FARGATE_SPOT / BERTH_BACKEND, then the config file, then the tenant's defaults, then the system's (us-east-2, no spot, ecs).")

        @Argument(help: "Cluster name: 1-63 lowercase letters, digits and dashes.")
        var name: String

        @Option(help: "The tenant's name.")
        var tenant: String

        @Option(help: "The spec as a JSON object, e.g. '{\"workers\": 4}'.")
        var spec: String = "{}"

        @Option(help: "Backend: ecs or vm.") var backend: String?
        @Option(help: "Region.") var region: String?
        // `.unconditional`: `--workers -1` is the value -1 (refused with the SQL API's message
        // about it), not an unknown option `-1`.
        @Option(parsing: .unconditional, help: "Workers: 0-100.") var workers: Int?
        @Flag(inversion: .prefixedNo, help: "Fargate Spot workers (ecs).") var fargateSpot: Bool?

        @Flag(help: "Show progress until the cluster is ready (exit 0) or in error (exit 1).")
        var wait = false

        @Option(parsing: .unconditional, help: "With --wait: give up after this long.")
        var timeout = DurationArgument(seconds: 1800)

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            try JSONArgument.checkObject(spec, option: "--spec", example: #"'{"workers": 4}'"#)
            let config = try CLIConfig.load()
            // --wait LISTENs: a direct connection then (a pooler in transaction mode cannot carry it).
            let connection = try wait ? common.connectDirect(config: config) : common.connect(config: config)
            let request = ClusterRequest(tenant: tenant, name: name, spec: spec,
                                         overrides: .init(backend: backend, region: region, workers: workers, fargateSpot: fargateSpot),
                                         defaults: config.backendOptions)
            let id: UUID
            do { id = try ClusterStore(connection).create(request) } catch let error as PostgresError {
                throw JSONArgument.invalid(error, option: "--spec", text: spec)
            }
            if !wait {
                if json { Output.json(["id": id.uuidString.lowercased(), "tenant": tenant, "name": name]) }
                else { Output.line("cluster \(tenant)/\(name) requested: \(id.uuidString.lowercased())") }
                return
            }
            try ClusterWatch.follow(connection: connection, clusterId: id, until: [.ready, .error, .stopped],
                                    success: .ready, timeout: timeout.seconds, json: json)
        }
    }

    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resize a ready cluster (berth.scale_cluster): new workers start, or the newest stop.",
            discussion: "Only a ready, scaling or degraded cluster can be scaled; a scale during a scale takes the newest count. The same count changes nothing.")

        @Argument(help: "Cluster name.") var name: String
        @Option(help: "The tenant's name.") var tenant: String
        // `.unconditional`: `--workers -1` is the value -1 (refused with the SQL API's message).
        @Option(parsing: .unconditional, help: "Workers: 0-100.") var workers: Int
        @Flag(help: "Show progress until the cluster is ready again (exit 0), or in error or stopped (exit 1).") var wait = false
        @Option(parsing: .unconditional, help: "With --wait: give up after this long.") var timeout = DurationArgument(seconds: 1800)
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            // Past what the SQL API's integer holds, the API cannot quote it back: said here, in its words.
            guard Int32(exactly: workers) != nil else { throw UsageError("workers must be between 0 and 100, got \(workers)") }
            let connection = try wait ? common.connectDirect() : common.connect()
            let before = try ClusterStore(connection).get(tenant: tenant, name: name)
            let since = try before.flatMap { try EventLog(connection).last(1, filter: .init(clusterId: $0.id)).last?.id } ?? 0
            // The same count on a ready cluster changes nothing: no events to wait for.
            let unchanged = before?.state == .ready && before?.spec.workers == workers
            let id = try ClusterStore(connection).scale(tenant: tenant, name: name, workers: workers)
            if !wait || unchanged {
                if json { Output.json(["id": id.uuidString.lowercased(), "tenant": tenant, "name": name, "workers": "\(workers)"]) }
                else { Output.line("cluster \(tenant)/\(name) \(unchanged ? "has" : "is scaling to") \(workers) workers: \(id.uuidString.lowercased())") }
                return
            }
            try ClusterWatch.follow(connection: connection, clusterId: id, after: since, until: [.ready, .error, .stopped, .stopping],
                                    success: .ready, timeout: timeout.seconds, json: json)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a cluster (berth.delete_cluster): everything of it in AWS goes.")

        @Argument(help: "Cluster name.") var name: String
        @Option(help: "The tenant's name.") var tenant: String
        @Flag(help: "Show progress until the cluster is stopped.") var wait = false
        @Option(parsing: .unconditional, help: "With --wait: give up after this long.") var timeout = DurationArgument(seconds: 1800)
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let connection = try wait ? common.connectDirect() : common.connect()
            let before = try ClusterStore(connection).get(tenant: tenant, name: name)
            let since = try before.flatMap { try EventLog(connection).last(1, filter: .init(clusterId: $0.id)).last?.id } ?? 0
            let id = try ClusterStore(connection).delete(tenant: tenant, name: name)
            if !wait {
                if json { Output.json(["id": id.uuidString.lowercased(), "tenant": tenant, "name": name]) }
                else { Output.line("cluster \(tenant)/\(name) is being deleted: \(id.uuidString.lowercased())") }
                return
            }
            try ClusterWatch.follow(connection: connection, clusterId: id, after: since, until: [.stopped, .error], success: .stopped,
                                    timeout: timeout.seconds, json: json)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clusters, newest first.")
        @Option(help: "Only this tenant's.") var tenant: String?
        @Flag(help: "Include stopped clusters.") var all = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let clusters = try ClusterStore(try common.connect())
                .list(tenant: tenant, includeStopped: all)
            if json { Output.json(clusters); return }
            Output.table(["TENANT", "NAME", "STATE", "BACKEND", "REGION", "WORKERS", "SCHEDULER", "ERROR"], clusters.map { c in
                [c.tenant, c.name, c.state.rawValue, c.backend.rawValue, c.region, "\(c.spec.workers)", c.schedulerAddress ?? "-", String((c.error ?? "").prefix(60))]
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one cluster and its latest events.")
        @Argument(help: "Cluster name.") var name: String
        @Option(help: "The tenant's name.") var tenant: String
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let (connection, cluster) = try ClusterCommand.find(name, tenant: tenant, common: common)
            if json { Output.json(cluster); return }
            Output.fields(Output.object(cluster), ["id", "tenant", "name", "state", "error", "stop_reason", "backend", "region", "dask_image", "worker_dask_image",
                                   "scheduler_address", "scheduler_public_address", "dashboard_url", "created_at", "updated_at", "spec"], width: 25)
            Output.fields(["workers": ClusterCommand.workersLine(cluster, try ClusterStore(connection).observedWorkers(of: cluster.id))],
                          ["workers"], width: 25)
            Output.line("events:")
            for event in try EventLog(connection).last(20, filter: .init(clusterId: cluster.id)) { Output.line("  " + Output.eventLine(event)) }
        }
    }
}

extension ClusterCommand {
    /// Desired (the spec) and observed (`berth.cluster_workers`, as the reconcile last saw it).
    static func workersLine(_ cluster: Cluster, _ observed: ObservedWorkers) -> String {
        var parts = ["desired \(cluster.spec.workers)", "observed \(observed.running) running"]
        if observed.stopping > 0 { parts.append("\(observed.stopping) stopping") }
        if observed.stopped > 0 {
            parts.append("\(observed.stopped) stopped" + (observed.lastStopReason.map { " (last: \(String($0.prefix(80))))" } ?? ""))
        }
        return parts.joined(separator: ", ")
    }

    /// The tenant's live cluster of that name (else its latest stopped one), with the connection.
    static func find(_ name: String, tenant: String, common: JobsCommand.Common) throws -> (Connection, Cluster) {
        let connection = try common.connect()
        guard let cluster = try ClusterStore(connection).get(tenant: tenant, name: name) else {
            throw UsageError("tenant \(tenant) has no cluster named \(name)")
        }
        return (connection, cluster)
    }

    struct Resources: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what exists in AWS for a cluster right now (by its tags, task family and startedBy).")
        @Argument(help: "Cluster name.") var name: String
        @Option(help: "The tenant's name.") var tenant: String
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let (connection, cluster) = try ClusterCommand.find(name, tenant: tenant, common: common)
            let resources = try ClusterInventory.list(cluster: cluster, connection: connection, settings: .fromEnvironment())
            if json { Output.json(resources); return }
            if resources.isEmpty {
                Output.line("nothing in AWS (\(cluster.region)) is tagged berth:cluster=\(cluster.id.uuidString.lowercased()) or runs as its tasks")
                return
            }
            Output.table(["KIND", "ID", "STATE"], resources.map { [$0.kind, $0.id, $0.state] })
        }
    }

    struct Credentials: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the cluster's CA certificate and a new client certificate and key for its owner, and print the Python that connects.",
            discussion: "Files (0600): ca.pem, client.pem, client-key.pem in --dir (made 0700 if missing). Needs BERTH_MASTER_KEY.")
        @Argument(help: "Cluster name.") var name: String
        @Option(help: "The tenant's name.") var tenant: String
        @Option(help: "The folder to write the files to.") var dir: String
        @Flag(help: "Replace files already in the folder.") var force = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let keys = try MasterKeys.fromEnvironment()
            let (connection, cluster) = try ClusterCommand.find(name, tenant: tenant, common: common)
            let written = try ClusterCredentials.write(cluster: cluster, connection: connection, keys: keys, folder: dir, force: force)
            Output.error("wrote \(ClusterCredentials.files.ca), \(ClusterCredentials.files.certificate) and \(ClusterCredentials.files.key) (0600) for cluster \(cluster.name) of tenant \(cluster.tenant) to \(written.folder); connect from Python (Dask's own version, image \(cluster.daskImage)):")
            for line in written.python { Output.line(line) }
            if let publicAddress = written.publicAddress {
                Output.error("from outside the cluster's network (where ingress_cidrs admits you): Client(\"\(publicAddress)\", security=sec)")
            }
        }
    }
}
