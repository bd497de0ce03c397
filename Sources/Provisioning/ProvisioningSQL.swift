import Postgres

/// Every statement the Provisioning module runs, in one place. Values are `$n` binds only.
///
/// What touches the queue goes through its SQL functions (migration 0004): jobs are enqueued by
/// `berth.enqueue_job` and every write a running job makes is fenced by
/// `berth.job_holds_lease`. Reading a job's state from `berth.jobs` is fine; writing it is not.
enum ProvisioningSQL {
    // MARK: tenants

    /// `encode(…, 'base64')` breaks lines every 76 characters, which `Data(base64Encoded:)`
    /// refuses: the newlines are taken out, or a stored secret looks absent ("no AWS
    /// credentials yet") and no worker can open it.
    private static let tenantColumns = """
        id, name, aws_mode, access_key_id, aws_account_id, default_backend, default_region,
        default_fargate_spot, gpu_access, worker_role_arn, created_at,
        translate(encode(secret_ciphertext, 'base64'), E'\n', '') as secret_base64, secret_key_id
        """

    static let createTenant = SQL("prov_create_tenant", """
        insert into berth.tenants (name, aws_mode, default_backend, default_region, default_fargate_spot, gpu_access,
                                   max_clusters, max_workers, max_vcpus, max_gpu_workers, worker_role_arn)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        returning \(tenantColumns)
        """)

    /// Sets (or with NULL clears) a tenant's worker role, checked by `WorkerRole` before.
    static let setTenantWorkerRole = SQL("prov_set_tenant_worker_role", """
        update berth.tenants set worker_role_arn = $2, updated_at = now() where id = $1
        returning \(tenantColumns)
        """)

    static let tenantByName = SQL("prov_tenant_by_name", "select \(tenantColumns) from berth.tenants where name = $1")
    static let tenantById = SQL("prov_tenant_by_id", "select \(tenantColumns) from berth.tenants where id = $1")
    static let listTenants = SQL("prov_list_tenants", "select \(tenantColumns) from berth.tenants order by name")

    static let setCredentials = SQL("prov_set_credentials", """
        update berth.tenants
           set access_key_id = $2, secret_ciphertext = decode($3, 'base64'), secret_key_id = $4,
               aws_account_id = $5, updated_at = now()
         where id = $1
        """)

    /// Taken while a key is stored: `FOR UPDATE` conflicts with the key-share lock that the
    /// foreign keys of a new cluster or network row take, so none can appear between the
    /// account check and the update.
    static let lockTenantAccount = SQL("prov_lock_tenant_account", "select aws_account_id from berth.tenants where id = $1 for update")

    /// What lives in the tenant's AWS account: clusters not `stopped`, and network jobs (kind
    /// `$2`) in flight.
    static let liveClustersOfTenant = SQL("prov_live_clusters_of_tenant", """
        select name, state from berth.clusters where tenant_id = $1 and state <> 'stopped' order by name
        """)
    static let networkJobsInFlight = SQL("prov_network_jobs_in_flight", """
        select count(*) as n from berth.jobs
         where kind = $2 and state in ('queued', 'running') and args ->> 'tenant_id' = $1::uuid::text
        """)

    /// The tenant moves to another AWS account: its networks and the checkpoints of its IAM and
    /// network plans describe the old account, so they go (the next cluster builds anew).
    static let forgetTenantNetworks = SQL("prov_forget_tenant_networks", """
        delete from berth.networks where tenant_id = $1 returning region, outputs ->> 'vpc_id' as vpc_id
        """)
    /// After `forgetTenantNetworks`: the tenant's own VPC networks (never the shared one).
    static let forgetTenantVPCNetworks = SQL("prov_forget_tenant_vpc_networks", """
        delete from berth.vpc_networks where tenant_id = $1
        """)
    static let forgetTenantCheckpoints = SQL("prov_forget_tenant_checkpoints", """
        delete from berth.steps where scope = 'tenant:' || $1::uuid::text or scope like 'network:' || $1::uuid::text || ':%'
        """)

    /// Rekey: the next row (by id) sealed under another key than the current one. Rows another
    /// rekey holds are skipped (it re-seals them).
    static let nextTenantToRekey = SQL("prov_next_tenant_to_rekey", """
        select \(tenantColumns) from berth.tenants
         where secret_ciphertext is not null and secret_key_id <> $1 and id > $2
         order by id limit 1 for update skip locked
        """)

    /// Which master keys seal tenants' secrets (for a worker's check at start).
    static let sealingKeys = SQL("prov_sealing_keys", """
        select secret_key_id, array_agg(name order by name) as tenants from berth.tenants
         where secret_ciphertext is not null group by secret_key_id order by secret_key_id
        """)

    static let resealSecret = SQL("prov_reseal_secret", """
        update berth.tenants set secret_ciphertext = decode($2, 'base64'), secret_key_id = $3, updated_at = now()
         where id = $1 and secret_key_id = $4
        """)

    // MARK: quotas (migration 0011)

    static let tenantQuotas = SQL("prov_tenant_quotas", """
        select t.max_clusters, t.max_workers, t.max_vcpus, t.max_gpu_workers,
               u.clusters, u.workers, u.vcpus::float8 as vcpus, u.gpu_workers
          from berth.tenants t cross join lateral berth.tenant_quota_use(t.id) u
         where t.name = $1
        """)

    /// `$2`..`$5`: whether to set each limit; `$6`..`$9`: the limits (null: unlimited).
    static let updateTenantQuotas = SQL("prov_update_tenant_quotas", """
        update berth.tenants
           set max_clusters = case when $2::boolean then $6::integer else max_clusters end,
               max_workers = case when $3::boolean then $7::integer else max_workers end,
               max_vcpus = case when $4::boolean then $8::integer else max_vcpus end,
               max_gpu_workers = case when $5::boolean then $9::integer else max_gpu_workers end,
               updated_at = now()
         where name = $1
        returning name
        """)

    // MARK: usage (migration 0011)

    /// Hours rounded to 6 decimals (3.6 ms): 90 s is 0.025 exactly.
    static let usageDaily = SQL("prov_usage_daily", """
        select day::text as day, tenant, backend, spot, clusters,
               trim_scale(round(cluster_hours, 6))::text as cluster_hours,
               trim_scale(round(worker_vcpu_hours, 6))::text as worker_vcpu_hours,
               trim_scale(round(worker_memory_gib_hours, 6))::text as worker_memory_gib_hours,
               trim_scale(round(gpu_hours, 6))::text as gpu_hours
          from berth.usage_daily
         where ($1::text is null or tenant = $1::text)
           and ($2::date is null or day >= $2::date) and ($3::date is null or day <= $3::date)
         order by day, tenant, backend, spot
        """, redactsParameters: false)

    // MARK: retention (EventRetention, through the queue's RetentionWalk)

    /// One batch of the walk over `berth.events` by id: `$1` the cursor, `$2` the batch size,
    /// `$3` seconds to keep events, `$4` how many of each cluster's newest events stay anyway
    /// (the N-th newest is found on events_cluster_idx, walking back N entries). Events are
    /// written in id order with their time, so the walk starts over at the first one too young.
    /// Advisory lock class 1650815606 (retention), key 2 (events).
    static let pruneEvents = SQL("prov_prune_events", """
        with lock as (
            select pg_try_advisory_xact_lock(1650815606, 2) as held
        ), scanned as (
            select e.id, e.at from berth.events e
             where (select l.held from lock l) and e.id > $1::bigint
             order by e.id limit $2::integer
        ), doomed as (
            select e.id from berth.events e
             where e.id = any (array(select s.id from scanned s where s.at < now() - $3::float8 * interval '1 second'))
               and (e.cluster_id is null or $4::integer = 0
                    or e.id < coalesce((select k.id from berth.events k where k.cluster_id = e.cluster_id
                                         order by k.id desc offset greatest($4::integer - 1, 0) limit 1), 0))
               for update skip locked
        ), deleted as (
            delete from berth.events e using doomed d where e.id = d.id returning e.id
        )
        select (select l.held from lock l) as held, (select max(s.id) from scanned s) as last_id,
               (select count(*) from scanned) as scanned, (select count(*) from deleted) as deleted,
               coalesce((select bool_or(s.at >= now() - $3::float8 * interval '1 second') from scanned s), false) as young
        """)

    // MARK: clusters' certificate authorities (migration 0009)

    /// The first attempt's row wins: a step run again reads back what it wrote.
    static let insertClusterTLS = SQL("prov_insert_cluster_tls", """
        insert into berth.cluster_tls (cluster_id, ca_certificate, scheduler_certificate, worker_certificate,
                                       keys_ciphertext, keys_key_id)
        values ($1, $2, $3, $4, decode($5, 'base64'), $6)
        on conflict (cluster_id) do nothing
        """)

    static let clusterTLS = SQL("prov_cluster_tls", """
        select ca_certificate, scheduler_certificate, worker_certificate,
               translate(encode(keys_ciphertext, 'base64'), E'\n', '') as keys_base64, keys_key_id
          from berth.cluster_tls where cluster_id = $1
        """)

    static let deleteClusterTLS = SQL("prov_delete_cluster_tls", "delete from berth.cluster_tls where cluster_id = $1")

    /// Rekey: the next cluster (by id) whose keys another master key sealed; rows another
    /// rekey holds are skipped.
    static let nextClusterTLSToRekey = SQL("prov_next_cluster_tls_to_rekey", """
        select cluster_id, translate(encode(keys_ciphertext, 'base64'), E'\n', '') as keys_base64, keys_key_id
          from berth.cluster_tls
         where keys_key_id <> $1 and cluster_id > $2
         order by cluster_id limit 1 for update skip locked
        """)

    static let resealClusterTLS = SQL("prov_reseal_cluster_tls", """
        update berth.cluster_tls set keys_ciphertext = decode($2, 'base64'), keys_key_id = $3
         where cluster_id = $1 and keys_key_id = $4
        """)

    /// Which master keys seal clusters' TLS keys, and how many clusters each (a worker's check at start).
    static let clusterTLSSealingKeys = SQL("prov_cluster_tls_sealing_keys", """
        select keys_key_id, count(*)::int8 as clusters from berth.cluster_tls group by keys_key_id order by keys_key_id
        """)

    // MARK: clusters (the SQL API)

    // Tenant name, cluster name and spec are not secret, and the API's messages quote them back
    // to say what is wrong ("unknown tenant 'acme'"): no redaction, or the message loses that.
    static let createCluster = SQL("prov_create_cluster", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)
    /// A create from layers (the CLI's): `$4` fills keys the spec `$3` lacks, `$5` replaces
    /// keys. A spec that is not an object goes as it is, for the API to refuse in its words.
    static let createClusterLayered = SQL("prov_create_cluster_layered", """
        select berth.create_cluster($1, $2, case when jsonb_typeof($3::jsonb) = 'object' then $4::jsonb || $3::jsonb || $5::jsonb
                                                 else $3::jsonb end) as id
        """, redactsParameters: false)
    static let deleteCluster = SQL("prov_delete_cluster", "select berth.delete_cluster($1, $2) as id", redactsParameters: false)

    private static let clusterColumns = """
        id, tenant_id, tenant, name, state, desired, error, backend, region, spec, scheduler_address,
        scheduler_public_address, active_job, create_job, delete_job, keep_error, created_at, updated_at
        """

    /// The sweep: which tenant each of these cluster ids belongs to, and its state (ids Berth
    /// does not know have no row).
    static let clusterOwners = SQL("prov_cluster_owners", """
        select id, tenant_id, state from berth.clusters where id = any($1::uuid[])
        """)

    /// The sweep: the regions where a tenant has or had clusters or a network.
    static let tenantRegions = SQL("prov_tenant_regions", """
        select region from berth.clusters where tenant_id = $1
        union select region from berth.networks where tenant_id = $1
        order by region
        """)

    static let clusterById = SQL("prov_cluster_by_id", "select \(clusterColumns) from berth.clusters where id = $1")

    /// The live cluster of that name, else the most recent stopped one.
    static let clusterByName = SQL("prov_cluster_by_name", """
        select \(clusterColumns) from berth.clusters
         where tenant = $1 and name = $2
         order by (state = 'stopped'), created_at desc limit 1
        """)

    static let listClusters = SQL("prov_list_clusters", """
        select \(clusterColumns) from berth.clusters
         where ($1::text is null or tenant = $1) and ($2::boolean or state <> 'stopped')
         order by created_at desc limit $3
        """)

    /// Takes the cluster for a job: at most one job works on a cluster at a time. The holder
    /// lets go by finishing (or being rescued): only a running holder counts.
    static let acquireCluster = SQL("prov_acquire_cluster", """
        update berth.clusters c set active_job = $2, updated_at = now()
         where c.id = $1
           and (c.active_job is null or c.active_job = $2
                or not exists (select 1 from berth.jobs j where j.id = c.active_job and j.state = 'running'))
        returning \(clusterColumns)
        """)

    /// Moves a cluster the user still wants to another state, with an event, fenced on the
    /// lease of job `$2` (token `$3`). `$5`: only when the cluster is in one of these states.
    static let setClusterState = SQL("prov_set_cluster_state", """
        with lease as (
            select berth.job_holds_lease($2::bigint, $3::uuid) as held
        ), changed as (
            update berth.clusters c
               set state = $4::text, error = $6::text, scheduler_address = $7::text, scheduler_public_address = $8::text,
                   updated_at = now()
              from lease
             where lease.held and c.id = $1::uuid and c.state = any ($5::text[]) and ($11::text is null or c.desired = $11::text)
            returning c.*
        ), event as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, state, message, data)
            select tenant, id, name, $2::bigint, 'state', state, $9::text, coalesce($10::jsonb, '{}') from changed
            returning id
        )
        select (select count(*) from changed) as changed, (select held from lease) as held
        """)

    // MARK: networks

    static let ensureNetworkRow = SQL("prov_ensure_network", """
        insert into berth.networks (tenant_id, region) values ($1, $2)
        on conflict (tenant_id, region) do nothing
        """)

    static let network = SQL("prov_network", "select state, outputs, error, job_id from berth.networks where tenant_id = $1 and region = $2")

    /// One network job (kind `$4`) per (tenant, region): the unique key makes the fifty
    /// clusters that ask at once share one job, and none is added once the network is ready
    /// (the job marks it ready before it finishes, so there is no window between the two). A
    /// network in `error` gets another try. The final select reads `job`, so the enqueue runs
    /// whether or not the network's row is there to update.
    static let enqueueNetworkJob = SQL("prov_enqueue_network_job", """
        with job as (
            select berth.enqueue_job($4::text, $3::text, jsonb_build_object('tenant_id', $1::uuid::text, 'region', $2::text),
                                     p_priority => 0, p_max_attempts => 25,
                                     p_unique_key => 'network:' || $1::uuid::text || ':' || $2::text) as id
             where not exists (select 1 from berth.networks where tenant_id = $1::uuid and region = $2::text and state = 'ready')
        ), updated as (
            update berth.networks n
               set job_id = coalesce((select id from job), n.job_id),
                   state = case when n.state = 'error' then 'creating' else n.state end,
                   error = case when n.state = 'error' then null else n.error end,
                   updated_at = now()
             where n.tenant_id = $1::uuid and n.region = $2::text
            returning n.job_id
        )
        select (select id from job) as enqueued, (select job_id from updated) as job_id
        """)

    /// Fenced on the network job's lease: a rescued job's late worker changes nothing.
    static let finishNetwork = SQL("prov_finish_network", """
        update berth.networks set state = $3::text, outputs = $4::jsonb, error = $5::text, updated_at = now()
         where tenant_id = $1::uuid and region = $2::text and berth.job_holds_lease($6::bigint, $7::uuid)
        """)

    // MARK: VPC networks (shared by managed tenants, or an own-account tenant's)

    /// Which VPC network the tenant's network in the region uses: the one its row names, else
    /// `$3` (owned by `$4`, null for the shared one), recorded and created if missing. The
    /// insert reads the row as it was before this statement, so a row that already names one
    /// adds nothing.
    static let useVPCNetwork = SQL("prov_use_vpc_network", """
        with chosen as (
            update berth.networks set vpc_network = coalesce(vpc_network, $3::text), updated_at = now()
             where tenant_id = $1::uuid and region = $2::text
            returning vpc_network
        ), added as (
            insert into berth.vpc_networks (id, region, tenant_id)
            select $3::text, $2::text, $4::uuid
             where not exists (select 1 from berth.networks
                                where tenant_id = $1::uuid and region = $2::text and vpc_network is not null)
            on conflict (id) do nothing
        )
        select vpc_network from chosen
        """)

    static let vpcNetworkColumns = "id, tenant_id, state, outputs, error"

    static let vpcNetwork = SQL("prov_vpc_network", "select \(vpcNetworkColumns) from berth.vpc_networks where id = $1")

    /// Takes the VPC network for job `$2` unless another running job holds it: one job builds
    /// it at a time, whichever tenant's came first; the others snooze.
    static let acquireVPCNetwork = SQL("prov_acquire_vpc_network", """
        update berth.vpc_networks v set active_job = $2::bigint, updated_at = now()
         where v.id = $1::text
           and (v.active_job is null or v.active_job = $2::bigint
                or not exists (select 1 from berth.jobs j where j.id = v.active_job and j.state = 'running'))
        returning \(vpcNetworkColumns)
        """)

    /// Fenced on the holder's lease, like `finishNetwork`.
    static let finishVPCNetwork = SQL("prov_finish_vpc_network", """
        update berth.vpc_networks set state = $2::text, outputs = $3::jsonb, error = $4::text, updated_at = now()
         where id = $1::text and active_job = $5::bigint
           and exists (select 1 from berth.jobs where id = $5::bigint and lease_token = $6::uuid and state = 'running')
        """)

    // MARK: steps (checkpoints)

    static let checkpoints = SQL("prov_checkpoints", """
        select step, state, generation, client_token, outputs::text as outputs, waiting_since, updated_at
          from berth.steps where scope = $1
        """)

    /// Writes a step's checkpoint, fenced on the job's lease: a rescued job's first, late
    /// worker writes nothing. The event goes in the same transaction (statement).
    static let writeCheckpoint = SQL("prov_write_checkpoint", """
        with written as (
            insert into berth.steps as s (scope, step, state, generation, client_token, outputs, job_id, waiting_since)
            select $1::text, $2::text, $3::text, $4::integer, $7::text, coalesce($8::jsonb, '{}'), $5::bigint, $9::timestamptz
             where berth.job_holds_lease($5::bigint, $6::uuid)
            on conflict (scope, step) do update
               set state = excluded.state, generation = excluded.generation,
                   client_token = coalesce(excluded.client_token, s.client_token),
                   outputs = excluded.outputs, job_id = excluded.job_id,
                   waiting_since = excluded.waiting_since, updated_at = now()
            returning 1
        ), event as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, step, state, message, data)
            select $10::text, $11::uuid, $12::text, $5::bigint, $13::text, $2::text,
                   (select state from berth.clusters where id = $11::uuid), $14::text, coalesce($15::jsonb, '{}')
              from written where $13::text is not null
            returning 1
        )
        select count(*) as written from written
        """)

    static let clearCheckpoints = SQL("prov_clear_checkpoints", "delete from berth.steps where scope = $1 and step like $2")

    // MARK: events

    static let addEvent = SQL("prov_add_event", """
        insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, step, state, message, data)
        values ($1::text, $2::uuid, $3::text, $4::bigint, $5::text, $6::text, (select state from berth.clusters where id = $2::uuid),
                $7::text, coalesce($8::jsonb, '{}'))
        """)

    static let eventsAfter = SQL("prov_events_after", """
        select id, at, tenant, cluster_id, cluster_name, job_id, type, step, state, message, data::text as data
          from berth.events
         where id > $1 and ($2::text is null or tenant = $2)
           and ($3::text is null or cluster_name = $3)
           and ($4::uuid is null or cluster_id = $4)
         order by id limit $5
        """)

    static let lastEvents = SQL("prov_last_events", """
        select * from (
            select id, at, tenant, cluster_id, cluster_name, job_id, type, step, state, message, data::text as data
              from berth.events
             where ($1::text is null or tenant = $1)
               and ($2::text is null or cluster_name = $2)
               and ($3::uuid is null or cluster_id = $3)
             order by id desc limit $4) e
         order by id
        """)
}
