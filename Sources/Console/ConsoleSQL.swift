import Postgres

/// Every statement of the console. Pages run theirs as the signed-in user's database role
/// (see `ConsoleDatabase`), so row-level security decides which tenants' rows they return.
enum ConsoleSQL {
    // MARK: users and sessions (as the owner)

    static let userExists = SQL("console_user_exists", "select 1 as one from berth.console_users where name = $1")
    static let tenantExists = SQL("console_tenant_exists", "select 1 as one from berth.tenants where name = $1")
    static let roleExists = SQL("console_role_exists", "select 1 as one from pg_catalog.pg_roles where rolname = $1")
    static let createRole = SQL("console_create_role", "select pg_catalog.format('create role %I nologin', $1::text) as statement")
    /// The console connects as this role, so it must be a member of each tenant role to SET ROLE.
    static let grantRoleToSelf = SQL("console_grant_role", "select pg_catalog.format('grant %I to %I', $1::text, current_user) as statement")
    static let grantTenant = SQL("console_grant_tenant", "select berth.grant_tenant($1::name, $2::text)")
    static let addUser = SQL("console_add_user", """
        insert into berth.console_users (name, tenant, db_role, password_hash) values ($1, $2, $3, $4) returning id
        """)
    static let deleteUser = SQL("console_delete_user", "delete from berth.console_users where name = $1 returning id")
    static let listUsers = SQL("console_list_users", """
        select u.name, u.tenant, u.created_at,
               (select count(*)::integer from berth.console_sessions s where s.user_id = u.id and s.expires_at > now()) as sessions
          from berth.console_users u order by u.name
        """)
    static let userForLogin = SQL("console_user_for_login", "select id, password_hash from berth.console_users where name = $1")
    static let createSession = SQL("console_create_session", """
        insert into berth.console_sessions (token_hash, user_id, csrf_token, expires_at)
        values (decode($1, 'hex'), $2, $3, now() + $4 * interval '1 second')
        """)
    static let session = SQL("console_session", """
        select u.id, u.name, u.tenant, u.db_role, s.csrf_token
          from berth.console_sessions s join berth.console_users u on u.id = s.user_id
         where s.token_hash = decode($1, 'hex') and s.expires_at > now()
        """)
    static let endSession = SQL("console_end_session", "delete from berth.console_sessions where token_hash = decode($1, 'hex')")
    static let purgeSessions = SQL("console_purge_sessions", "delete from berth.console_sessions where expires_at <= now()")

    /// Takes the user's tenant role for the rest of the transaction (`SET LOCAL ROLE`, with the
    /// role as a parameter).
    static let setRole = SQL("console_set_role", "select pg_catalog.set_config('role', $1, true) as role")

    // MARK: overview

    static let jobCounts = SQL("console_job_counts", """
        select (select count(*) from berth.jobs where state = 'queued' and run_at <= now()) as ready,
               (select count(*) from berth.jobs where state = 'queued' and run_at > now()) as scheduled,
               (select count(*) from berth.jobs where state = 'running') as running,
               (select count(*) from berth.jobs where state = 'failed') as failed,
               (select count(*) from berth.jobs where state = 'cancelled') as cancelled,
               (select extract(epoch from now() - min(run_at))::float8 from berth.jobs where state = 'queued' and run_at <= now()) as oldest_ready_seconds
        """)

    /// The newest job id (read as the console's own role: an id is not tenant data).
    static let newestJob = SQL("console_newest_job", "select coalesce(max(id), 0) as id from berth.jobs")

    /// Jobs finished in the last minute and hour among the jobs with ids above $1 (the newest
    /// ids): the primary key bounds the read, for a tenant's role too (no index on finished_at:
    /// every completion would write an entry in it).
    static let throughput = SQL("console_throughput", """
        select count(*) filter (where finished_at > now() - interval '1 minute') as last_minute,
               count(*) filter (where finished_at > now() - interval '1 hour') as last_hour,
               count(*) filter (where state = 'succeeded' and finished_at > now() - interval '1 hour') as succeeded_last_hour
          from berth.jobs where id > $1
        """)

    /// Worker processes connected now: each holds one producer connection.
    static let workersAlive = SQL("console_workers_alive", """
        select count(*) as n from pg_catalog.pg_stat_activity where application_name = 'berth producer'
        """)

    // MARK: tenants (operators)

    static let tenants = SQL("console_tenants", """
        select t.name, t.aws_mode, coalesce(t.default_region, '') as region, t.default_backend, t.gpu_access, t.created_at,
               count(c.id) filter (where c.state <> 'stopped') as live_clusters,
               count(c.id) filter (where c.state = 'ready') as ready_clusters,
               coalesce(sum(case when jsonb_typeof(c.spec->'workers') = 'number' then (c.spec->>'workers')::numeric end)
                        filter (where c.state not in ('stopped', 'error')), 0)::bigint as workers,
               (select count(*) from berth.jobs j where j.state = 'running' and j.tenant = t.name) as running_jobs
          from berth.tenants t left join berth.clusters c on c.tenant_id = t.id
         group by t.id order by t.name
        """)

    // MARK: clusters

    /// Newest first, 100 a page, keyset-paged on (created_at, id); every filter optional.
    static let clusters = SQL("console_clusters", """
        select c.id, c.tenant, c.name, c.state, c.backend, c.region, c.created_at, c.created_at::text as created_key, c.updated_at,
               coalesce(c.spec->>'workers', '') as workers, coalesce(c.error, '') as error
          from berth.clusters c
         where ($1::text is null or c.tenant = $1)
           and ($2::text is null or c.state = $2)
           and ($3::text is null or c.backend = $3)
           and ($4::text is null or c.name like $4 || '%')
           and ($5::timestamptz is null or (c.created_at, c.id) < ($5::timestamptz, $6::uuid))
         order by c.created_at desc, c.id desc
         limit $7
        """)

    static let cluster = SQL("console_cluster", """
        select c.id, c.tenant, c.name, c.state, c.backend, c.region, c.spec::text as spec, coalesce(c.error, '') as error,
               c.scheduler_address, c.scheduler_public_address, c.desired, c.create_job, c.delete_job, c.active_job,
               c.created_at, c.updated_at
          from berth.clusters c where c.id = $1
        """)

    /// What the cluster has in AWS, from its step checkpoints (operators: `berth.steps` is the owner's).
    static let clusterSteps = SQL("console_cluster_steps", """
        select step, state, outputs::text as outputs, updated_at from berth.steps where scope = $1 order by created_at, step
        """)

    static let clusterEvents = SQL("console_cluster_events", """
        select * from (select id, at, tenant, cluster_id, cluster_name, job_id, type, step, state, message, data::text as data
                         from berth.events where cluster_id = $1 order by id desc limit $2) e order by id
        """)

    static let deleteCluster = SQL("console_delete_cluster", "select berth.delete_cluster($1, $2) as id")

    // MARK: jobs

    /// The columns every console user may read (tenant roles are granted these only).
    private static let jobColumns = "j.id, j.kind, j.tenant, j.state, j.attempt, j.max_attempts, j.run_at, coalesce(j.last_error, '') as last_error, j.created_at, j.finished_at"

    /// Newest first, up to $6 a page, with ids in [$5, $4): the caller bounds the range, so a
    /// page reads at most that many ids of the primary key even when the filters (or a tenant
    /// role's row-level security) match few rows. Filters optional.
    static let jobs = SQL("console_jobs", """
        select \(jobColumns) from berth.jobs j
         where ($1::text is null or j.state = $1)
           and ($2::text is null or j.kind = $2)
           and ($3::text is null or j.tenant = $3)
           and j.id < $4 and j.id >= $5
         order by j.id desc
         limit $6
        """)

    /// The range of job ids (read as the console's own role: ids are not tenant data).
    static let jobIDs = SQL("console_job_ids", "select coalesce(min(id), 1) as low, coalesce(max(id), 0) as high from berth.jobs")

    static let job = SQL("console_job", "select \(jobColumns) from berth.jobs j where j.id = $1")

    /// Arguments, error history and output: operators only (not granted to tenant roles).
    static let jobDetails = SQL("console_job_details", """
        select args::text as args, errors::text as errors, coalesce(output::text, '') as output,
               coalesce(locked_by, '') as locked_by, cancel_requested from berth.jobs where id = $1
        """)

    static let cancelJob = SQL("console_cancel_job", "select berth.cancel_job($1) as state")
}
