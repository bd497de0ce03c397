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
        default_fargate_spot, gpu_access, worker_role_arn, state, delete_job, deleted_at, created_at,
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

    // MARK: offboarding (migration 0015)

    static let deleteTenant = SQL("prov_delete_tenant", "select berth.delete_tenant($1::text) as job")

    /// The tenant's clusters not yet `stopped`, and whether their delete job still runs.
    static let tenantClustersLeft = SQL("prov_tenant_clusters_left", """
        select c.name, c.state, c.error, j.state as delete_job_state, j.last_error as delete_job_error
          from berth.clusters c left join berth.jobs j on j.id = c.delete_job
         where c.tenant_id = $1 and c.state <> 'stopped'
         order by c.name
        """)

    /// The regions where the tenant has (or began) a network: its rows in berth.networks and the
    /// VPC networks it owns.
    static let tenantRegions = SQL("prov_tenant_regions", """
        select region from berth.networks where tenant_id = $1
        union
        select region from berth.vpc_networks where tenant_id = $1
        order by 1
        """)

    /// Whether the tenant's IAM plan ever ran (an intent is written before each create).
    static let tenantIAMStarted = SQL("prov_tenant_iam_started", """
        select count(*) as n from berth.steps where scope = 'tenant:' || $1::uuid::text
        """)

    /// The end of offboarding, fenced on the job's lease: the key destroyed (ciphertext, the key
    /// id that sealed it and the access key id), the row a tombstone. Returns no row when the
    /// lease is lost.
    static let markTenantDeleted = SQL("prov_mark_tenant_deleted", """
        update berth.tenants
           set state = 'deleted', deleted_at = now(), access_key_id = null, secret_ciphertext = null, secret_key_id = null,
               updated_at = now()
         where id = $1 and state = 'deleting' and berth.job_holds_lease($2::bigint, $3::uuid)
        returning name
        """)

    /// After `markTenantDeleted`, in its transaction: the rows that described what the tenant
    /// had in AWS (its networks, its own VPC networks, every checkpoint of its plans; never the
    /// shared network's) and its clusters' sealed TLS keys.
    static let forgetDeletedTenant = SQL("prov_forget_deleted_tenant", """
        with networks as (
            delete from berth.networks where tenant_id = $1
        ), tls as (
            delete from berth.cluster_tls where cluster_id in (select id from berth.clusters where tenant_id = $1)
        ), steps as (
            delete from berth.steps
             where scope = 'tenant:' || $1::uuid::text or scope like 'network:' || $1::uuid::text || ':%'
                or scope like 'tenant-delete:' || $1::uuid::text || '%'
                or scope in (select 'cluster:' || id::text from berth.clusters where tenant_id = $1)
        )
        select 1
        """)

    /// The message of a job's newest event (so a waiting job says what it waits for once).
    static let lastJobEvent = SQL("prov_last_job_event", "select message from berth.events where job_id = $1 order by id desc limit 1")

    /// Separate from `forgetDeletedTenant`: berth.networks rows reference these, and a
    /// statement's CTEs see the same snapshot.
    static let forgetDeletedTenantVPCs = SQL("prov_forget_deleted_tenant_vpcs", "delete from berth.vpc_networks where tenant_id = $1")

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
        scheduler_public_address, active_job, create_job, delete_job, keep_error, stop_reason, created_at, updated_at
        """

    /// The sweep: which tenant each of these cluster ids belongs to, and its state (ids Berth
    /// does not know have no row).
    static let clusterOwners = SQL("prov_cluster_owners", """
        select id, tenant_id, state from berth.clusters where id = any($1::uuid[])
        """)

    /// The sweep: the regions where a tenant has or had clusters or a network.
    static let tenantSweepRegions = SQL("prov_tenant_sweep_regions", """
        select region from berth.clusters where tenant_id = $1
        union select region from berth.networks where tenant_id = $1
        union select region from berth.vpc_networks where tenant_id = $1
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

    /// `berth.scale_cluster` (migration 0013): tenant, cluster name and count are quoted back.
    static let scaleCluster = SQL("prov_scale_cluster", "select berth.scale_cluster($1, $2, $3::int4) as id", redactsParameters: false)

    // MARK: the worker set (migrations 0012, 0013)

    /// Records the workers a launch answered with (`$2`) for cluster `$1`, by job `$3`. With `$4`,
    /// each new one replaces a stopped worker due for a replacement (the earliest stopped first):
    /// `replaces` names it, and a `worker.replaced` event quotes why it stopped. A worker already
    /// recorded (a launch replayed with its client token) adds nothing, and no event.
    static let recordWorkers = SQL("prov_record_workers", """
        with fresh as (
            select u.id, row_number() over (order by u.ord) as n
              from unnest($2::text[]) with ordinality as u(id, ord)
             where not exists (select from berth.cluster_workers w where w.cluster_id = $1::uuid and w.resource_id = u.id)
        ), due as (
            select s.resource_id, s.stopped_reason, row_number() over (order by s.stopped_at, s.resource_id) as n
              from berth.cluster_workers s
             where $4::boolean and s.cluster_id = $1::uuid and s.state = 'stopped' and not s.retired
               and not exists (select from berth.cluster_workers r where r.cluster_id = $1::uuid and r.replaces = s.resource_id)
        ), added as (
            insert into berth.cluster_workers (cluster_id, resource_id, replaces)
            select $1::uuid, f.id, d.resource_id from fresh f left join due d on d.n = f.n
            on conflict do nothing
            returning resource_id, replaces
        ), replaced as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, step, state, message, data)
            select c.tenant, c.id, c.name, $3::bigint, 'worker.replaced', $5::text, c.state,
                   'worker ' || a.resource_id || ' replaces ' || a.replaces || ', which stopped: '
                       || coalesce(d.stopped_reason, 'no reason given'),
                   jsonb_build_object('worker', a.resource_id, 'replaces', a.replaces, 'stopped_reason', d.stopped_reason)
              from added a join due d on d.resource_id = a.replaces cross join berth.clusters c
             where c.id = $1::uuid
            returning 1
        )
        select (select count(*) from added) as added, (select count(*) from replaced) as replaced
        """)

    /// The spec's `workers` of cluster `$1` and how many of its workers run.
    static let workerCounts = SQL("prov_worker_counts", """
        select (c.spec ->> 'workers')::numeric::int4 as desired,
               (select count(*) from berth.cluster_workers w where w.cluster_id = c.id and w.state = 'running')::int4 as running
          from berth.clusters c where c.id = $1::uuid
        """)

    static let workerColumns = "resource_id, state, launched_at, stopped_at, stopped_reason, replaces, retired"

    /// Every worker of cluster `$1`, newest first.
    static let clusterWorkers = SQL("prov_cluster_workers", """
        select \(workerColumns) from berth.cluster_workers where cluster_id = $1::uuid order by launched_at desc, resource_id desc
        """)

    /// Which of `$2` still run (per the record) in cluster `$1`.
    static let runningAmong = SQL("prov_running_among", """
        select resource_id from berth.cluster_workers where cluster_id = $1::uuid and resource_id = any ($2::text[]) and state = 'running'
        """)

    /// A scale down: the newest running workers beyond the spec's `workers` become `stopping`
    /// (and retired: never replaced); returns every worker of the cluster being stopped, those
    /// an earlier attempt marked too.
    static let markExtraWorkersStopping = SQL("prov_mark_extra_workers_stopping", """
        with extra as (
            select w.resource_id from berth.cluster_workers w
             where w.cluster_id = $1::uuid and w.state = 'running'
             order by w.launched_at, w.resource_id
            offset (select greatest((c.spec ->> 'workers')::numeric::int8, 0) from berth.clusters c where c.id = $1::uuid)
        ), marked as (
            update berth.cluster_workers w set state = 'stopping', retired = true
              from extra e where w.cluster_id = $1::uuid and w.resource_id = e.resource_id
            returning w.resource_id
        )
        select resource_id from marked
        union
        select resource_id from berth.cluster_workers where cluster_id = $1::uuid and state = 'stopping'
        """)

    /// Workers `$2` of cluster `$1` stopped (reason `$3`; `$4`: retired, never to be replaced).
    static let markWorkersStopped = SQL("prov_mark_workers_stopped", """
        update berth.cluster_workers
           set state = 'stopped', stopped_at = clock_timestamp(), stopped_reason = $3::text, retired = retired or $4::boolean
         where cluster_id = $1::uuid and resource_id = any ($2::text[]) and state <> 'stopped'
        """)

    /// The cluster is gone: every worker still on record stopped with it.
    static let markAllWorkersStopped = SQL("prov_mark_all_workers_stopped", """
        update berth.cluster_workers
           set state = 'stopped', stopped_at = clock_timestamp(), stopped_reason = $2::text, retired = true
         where cluster_id = $1::uuid and state <> 'stopped'
        """)

    /// Bills the workers that run now (berth.resize_usage_period).
    static let resizeUsage = SQL("prov_resize_usage", """
        select berth.resize_usage_period($1::uuid,
            (select count(*) from berth.cluster_workers w where w.cluster_id = $1::uuid and w.state = 'running')::int4, clock_timestamp())
        """)

    /// Records a launch failure of cluster `$1`'s workers; returns how many it had in the last ten
    /// minutes, this one included (the insert is not visible to the count in the same statement).
    static let recordWorkerFailure = SQL("prov_record_worker_failure", """
        with added as (
            insert into berth.cluster_worker_failures (cluster_id, reason) values ($1::uuid, $2::text) returning id
        )
        select 1 + (select count(*) from berth.cluster_worker_failures f
                     where f.cluster_id = $1::uuid and f.at > clock_timestamp() - interval '10 minutes')::int4 as recent
        """)

    static let recentWorkerFailures = SQL("prov_recent_worker_failures", """
        select count(*)::int4 as recent from berth.cluster_worker_failures
         where cluster_id = $1::uuid and at > clock_timestamp() - interval '10 minutes'
        """)

    /// `berth.converge_workers` and `berth.worker_stopped` (migration 0013).
    static let convergeWorkers = SQL("prov_converge_workers", "select berth.converge_workers($1::uuid, $2::text) as job")
    static let workerStopped = SQL("prov_worker_stopped", "select berth.worker_stopped($1::uuid, $2::text, $3::text) as job")

    /// Starts a round of the `cluster.workers` plan in the cluster's scope `$1`, unless one is in
    /// progress (`workers.round` an intent: a crashed or snoozed round goes on with its
    /// checkpoints and tokens): the last round's checkpoints go and the next round is recorded,
    /// in one statement fenced on job `$2`'s lease (`$3`).
    static let startWorkersRound = SQL("prov_start_workers_round", """
        with lease as (
            select berth.job_holds_lease($2::bigint, $3::uuid) as held
        ), current as (
            select state, coalesce((outputs ->> 'round')::int4, 0) as round
              from berth.steps where scope = $1::text and step = 'workers.round'
        ), next as (
            select case when c.state = 'intent' then c.round else coalesce(c.round, 0) + 1 end as round,
                   c.state is distinct from 'intent' as fresh
              from (select 1) one left join current c on true
        ), cleared as (
            delete from berth.steps s using next, lease
             where lease.held and next.fresh and s.scope = $1::text and s.step like 'workers.%' and s.step <> 'workers.round'
        ), written as (
            insert into berth.steps (scope, step, state, generation, outputs, job_id)
            select $1::text, 'workers.round', 'intent', 1, jsonb_build_object('round', next.round), $2::bigint
              from next, lease where lease.held and next.fresh
            on conflict (scope, step) do update
               set state = 'intent', outputs = excluded.outputs, job_id = excluded.job_id, updated_at = now()
        )
        select (select held from lease) as held, (select round from next) as round, (select fresh from next) as fresh
        """)

    /// Ends the round (`workers.round` done) of cluster `$1` (scope `$4`), fenced on job `$2`'s
    /// lease (`$3`). When the running workers match the spec's `workers`, a `scaling` or
    /// `degraded` cluster is `ready` again (with an event), and stopped workers nobody replaced
    /// are retired. In one statement: a scale that commits after it finds the cluster `ready`
    /// and starts over (the trigger on the job's end, migration 0013).
    static let finishWorkersRound = SQL("prov_finish_workers_round", """
        with lease as (
            select berth.job_holds_lease($2::bigint, $3::uuid) as held
        ), counts as (
            select (c.spec ->> 'workers')::numeric::int8 as desired,
                   (select count(*) from berth.cluster_workers w where w.cluster_id = c.id and w.state = 'running') as running
              from berth.clusters c where c.id = $1::uuid
        ), met as (
            select lease.held and counts.desired = counts.running as met, counts.desired, counts.running from lease, counts
        ), round as (
            update berth.steps s set state = 'done', updated_at = now() from lease
             where lease.held and s.scope = $4::text and s.step = 'workers.round'
        ), ready as (
            update berth.clusters c set state = 'ready', error = null, updated_at = now() from met
             where met.met and c.id = $1::uuid and c.state in ('scaling', 'degraded')
            returning c.*
        ), event as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, state, message, data)
            select r.tenant, r.id, r.name, $2::bigint, 'state', r.state, 'ready: ' || m.running || ' workers running',
                   jsonb_build_object('workers', m.running)
              from ready r, met m
        ), retired as (
            update berth.cluster_workers s set retired = true from met
             where met.met and s.cluster_id = $1::uuid and s.state = 'stopped' and not s.retired
        )
        select (select held from lease) as held, (select met from met) as met,
               (select desired from met)::int4 as desired, (select running from met)::int4 as running
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

    // MARK: reconcile (docs/provisioning.md, "The reconcile")

    /// The tenant and region's reconcile job: its id, or null while the active one is ending
    /// (the caller looks again in a moment). `$3`: the kind.
    static let ensureReconcile = SQL("prov_ensure_reconcile", "select berth.ensure_reconcile($1::uuid, $2::text, $3::text) as job")

    /// Whether reconcile job `$3` (lease `$4`) may end: no live cluster of the tenant in the region.
    static let endReconcile = SQL("prov_end_reconcile", "select berth.end_reconcile($1::uuid, $2::text, $3::bigint, $4::uuid) as ended")

    /// The clusters a pass watches (`ready`, `scaling`, `degraded`, still wanted), with what
    /// their create recorded (`record`: the step outputs the reconcile reads), their live
    /// workers, whether they ever had a worker row, and whether a job runs on them now.
    static let reconcileClusters = SQL("prov_reconcile_clusters", """
        select \(clusterColumns),
               (select coalesce(jsonb_object_agg(e.key, e.value), '{}')::text
                  from berth.steps s cross join lateral jsonb_each_text(s.outputs) e
                 where s.scope = 'cluster:' || c.id::text and s.state = 'done'
                   and e.key in ('security_group_id', 'scheduler_task_arn', 'scheduler_instance_id', 'worker_task_arns',
                                 'worker_instance_ids', 'worker_task_definition')) as record,
               array(select w.resource_id from berth.cluster_workers w
                      where w.cluster_id = c.id and w.state = 'running' order by w.launched_at) as workers,
               array(select w.resource_id from berth.cluster_workers w where w.cluster_id = c.id) as known_workers,
               exists (select from berth.jobs j where j.id = c.active_job and j.state = 'running') as busy
          from berth.clusters c
         where c.tenant_id = $1::uuid and c.region = $2::text and c.desired = 'running'
           and c.state in ('ready', 'scaling', 'degraded')
         order by c.created_at
        """)

    /// Records a cluster's workers from its create plan's outputs when it has no worker rows
    /// (made before berth.cluster_workers existed). Adds nothing where a row exists.
    static let backfillWorkers = SQL("prov_backfill_workers", """
        insert into berth.cluster_workers (cluster_id, resource_id)
        select $1::uuid, unnest($2::text[])
         where not exists (select from berth.cluster_workers w where w.cluster_id = $1::uuid)
        on conflict do nothing
        """)

    /// Whether `$2` is one of cluster `$1`'s workers (any state), or a job runs on the cluster:
    /// read again right before a leak is removed.
    static let leakStillUnrecorded = SQL("prov_leak_still_unrecorded", """
        select not exists (select from berth.cluster_workers w where w.cluster_id = c.id and w.resource_id = $2::text)
               and not exists (select from berth.jobs j where j.id = c.active_job and j.state = 'running')
               and c.desired = 'running' and c.state in ('ready', 'scaling', 'degraded') as leak
          from berth.clusters c where c.id = $1::uuid
        """)

    static let reconcileWorkerStopped = SQL("prov_reconcile_worker_stopped",
                                            "select berth.reconcile_worker_stopped($1::uuid, $2::text, $3::text, $4::bigint) as changed")

    static let reconcileStopCluster = SQL("prov_reconcile_stop_cluster", """
        select berth.reconcile_stop_cluster($1::uuid, $2::bigint, $3::text, $4::text, $5::boolean, $6::jsonb) as changed
        """)

    /// An event of type `$3` about resource `$4` of cluster `$1`, once: a pass that repeats an
    /// action after a crash does not write it twice. Returns whether it wrote it.
    static let reconcileEventOnce = SQL("prov_reconcile_event_once", """
        with c as (select * from berth.clusters where id = $1::uuid),
        ins as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, state, message, data)
            select c.tenant, c.id, c.name, $2::bigint, $3::text, c.state, $5::text, jsonb_build_object('resource', $4::text)
              from c
             where not exists (select from berth.events e where e.cluster_id = $1::uuid and e.type = $3::text
                                                          and e.data ->> 'resource' = $4::text)
            returning 1
        )
        select count(*) > 0 as written from ins
        """)

    static let observedWorkers = SQL("prov_observed_workers", """
        select count(*) filter (where state = 'running')::int as running, count(*) filter (where state = 'stopping')::int as stopping,
               count(*) filter (where state = 'stopped')::int as stopped,
               (select w.stopped_reason from berth.cluster_workers w where w.cluster_id = $1::uuid and w.state = 'stopped'
                 order by w.stopped_at desc nulls last limit 1) as last_reason
          from berth.cluster_workers where cluster_id = $1::uuid
        """)

    /// The cluster's worker task definition is `$3` now (re-registered after `$2` was
    /// deregistered outside Berth): the create's record changes, once, with a `drift.repaired`
    /// event, so the next launch (a replacement, a scale) uses it.
    static let replaceWorkerTaskDefinition = SQL("prov_replace_worker_task_definition", """
        with updated as (
            update berth.steps s set outputs = jsonb_set(s.outputs, '{worker_task_definition}', to_jsonb($3::text)), updated_at = now()
             where s.scope = 'cluster:' || $1::uuid::text and s.step = 'task_definitions' and s.outputs ->> 'worker_task_definition' = $2::text
            returning 1
        ), event as (
            insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, state, message, data)
            select c.tenant, c.id, c.name, $4::bigint, 'drift.repaired', c.state, $5::text,
                   jsonb_build_object('resource', $2::text, 'replacement', $3::text)
              from berth.clusters c, updated where c.id = $1::uuid
            returning 1
        )
        select count(*) > 0 as changed from updated
        """)

    /// The pass's figures and error on the reconciler's row.
    static let recordReconcilePass = SQL("prov_record_reconcile_pass", """
        update berth.reconcilers set passes = passes + 1, last_pass_at = now(), last_pass_ms = $3::float8,
               last_aws_calls = $4::int, last_error = $5::text, last_db_ms = $6::float8
         where tenant_id = $1::uuid and region = $2::text
        """)
}
