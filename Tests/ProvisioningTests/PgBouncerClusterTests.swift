import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The provisioning path through a real PgBouncer in transaction mode: a `berth worker` and
/// `berth cluster create|delete --wait` given the three settings as environment variables
/// (statements through PgBouncer, LISTEN to PostgreSQL directly).
@Suite struct PgBouncerClusterTests {
    @Test func aClusterIsCreatedAndDeletedThroughPgBouncer() throws {
        let h = try ProvisioningHarness()
        let bouncer = try PgBouncer(serverURL: h.db.url)
        let pooled = ["DATABASE_URL": bouncer.url(for: h.db.url), "BERTH_LISTEN_DATABASE_URL": h.db.url,
                      "BERTH_DATABASE_POOL_MODE": "transaction"]
        // Without a direct connection for LISTEN, transaction mode is refused, saying what to give.
        let refused = try h.berth(["worker"], extraEnvironment: pooled.merging(["BERTH_LISTEN_DATABASE_URL": ""]) { $1 })
        #expect(refused.status == 2 && refused.output.contains("--listen-database-url"), "\(refused.output)")

        let tenant = try h.tenant()
        // A short reconcile interval: its job ends soon after the cluster's delete, through PgBouncer too.
        let worker = try h.worker(extraEnvironment: pooled.merging(["BERTH_RECONCILE_INTERVAL": "0.5"]) { $1 })
        defer { worker.signal(SIGKILL) }
        let create = try h.berth(["cluster", "create", "pgb", "--tenant", tenant.name, "--spec", #"{"workers": 2}"#,
                                  "--wait", "--timeout", "3m"], extraEnvironment: pooled)
        #expect(create.status == 0, "\(create.output)\n\(worker.log.suffix(3000))")
        let cluster = try #require(try ClusterStore(h.connection).get(tenant: tenant.name, name: "pgb"))
        #expect(cluster.state == .ready, "\(cluster.state)")
        #expect(worker.log.contains("pool_mode=transaction"), "\(worker.log.prefix(2000))")
        let clients = try bouncer.clientApplicationNames()
        for name in ["berth producer", "berth completer", "berth maintenance", "berth handler"] {
            #expect(clients.contains(name), "\(name) is not a PgBouncer client: \(clients)")
        }
        #expect(!clients.contains("berth listener"), "\(clients)")

        let delete = try h.berth(["cluster", "delete", "pgb", "--tenant", tenant.name, "--wait", "--timeout", "3m"], extraEnvironment: pooled)
        #expect(delete.status == 0, "\(delete.output)\n\(worker.log.suffix(3000))")
        #expect(try h.leftovers(of: cluster).isEmpty)
        try poll(timeout: 30, every: 0.1, "the reconcile to end with the tenant's last cluster") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.reconcile' and state in ('queued', 'running')") == 0
        }
        #expect(try h.count("select count(*) as n from berth.jobs where state <> 'succeeded'") == 0)
    }
}
