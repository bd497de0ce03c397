import Postgres

/// Every statement the queue runs, in one place. Values are `$n` binds only.
///
/// The queue's SQL functions (migration 0004) are what other modules call: `berth.enqueue_job`,
/// `berth.job_holds_lease`, `berth.request_job_cancel`. The statements that end a job
/// (`complete`, `rescue`, `cancel`) fire the triggers other modules keep on `berth.jobs`, in the
/// same transaction: provisioning's `jobs_cluster_create_changed` and `jobs_cluster_delete_failed`
/// (migrations 0002 and 0003) move the job's cluster (docs/architecture.md, "The seams").
enum QueueSQL {
    /// One job, through the queue's SQL function (a unique key held by an active job returns
    /// that job's id).
    static let enqueueOne = SQL("queue_enqueue_one", """
        select berth.enqueue_job($1, $2, $3::jsonb, $4, $5::timestamptz, $6, $7) as id
        """)

    /// `$8` copies of one job in one statement (one NOTIFY): bulk enqueues, never with a unique key.
    static let enqueue = SQL("queue_enqueue", """
        insert into berth.jobs (kind, tenant, args, priority, run_at, max_attempts, unique_key)
        select $1, $2, $3::jsonb, $4, coalesce($5::timestamptz, now()), $6, $7
          from generate_series(1, $8)
        on conflict (unique_key) where state in ('queued', 'running') do nothing
        returning id
        """)

    /// Claims up to $2 ready jobs for worker $1 with a lease of $3 ms, fairly across tenants,
    /// in one round trip (see docs/queue.md, "Claiming"):
    /// - tenants with queued jobs are found by a loose index scan (one probe per tenant);
    /// - the first $2 of them in turn order (ready heads first) split the batch equally;
    /// - with more than one tenant, each counts its ready jobs up to its share, and what the
    ///   short ones leave goes to the others, in turn order;
    /// - each tenant's rows are taken `for update skip locked` from its head on (the entries
    ///   before it are claimed jobs vacuum has not removed yet, which a drain would walk again),
    ///   and updated by primary key (`id = any(array)`: a join could be planned as a hash join
    ///   over the table).
    /// With any tenant cap set, `heads` is empty and `berth.pick_capped_jobs` picks instead, in
    /// the same statement; `claimedCTE` claims what either picked. (The function's statements see
    /// jobs enqueued after this statement began, which its update does not: such a job is picked
    /// but stays queued, for the next claim.) Run with `session` settings: the plan is made once
    /// per session.
    static let claim = SQL("queue_claim", """
        with recursive heads as (
            (select j.tenant, j.priority, j.run_at, j.id from berth.jobs j
              where j.state = 'queued' and not exists (select from berth.queue_tenant_limits)
              order by j.tenant, j.priority, j.run_at, j.id limit 1)
            union all
            select n.tenant, n.priority, n.run_at, n.id from heads h cross join lateral (
                select j.tenant, j.priority, j.run_at, j.id from berth.jobs j
                 where j.state = 'queued' and j.tenant > h.tenant
                 order by j.tenant, j.priority, j.run_at, j.id limit 1) n
        ),
        turns as (
            -- At most as many tenants as slots, ready heads first, and their exact shares of the batch.
            select h.*, count(*) over () as tenants,
                   $2::integer / count(*) over () + case when h.place <= $2::integer % count(*) over () then 1 else 0 end as share
              from (select h.*, row_number() over (order by (h.run_at > now()), h.priority, h.run_at, h.tenant) as place
                      from heads h order by place limit $2::integer) h
        ),
        ready as materialized (
            -- With more than one tenant, each counts its ready jobs up to its share.
            select t.*, case when t.tenants = 1 then t.share else (
                       select count(*)::integer from (
                           select from berth.jobs j
                            where j.state = 'queued' and j.tenant = t.tenant and j.run_at <= now()
                              and (j.priority, j.run_at, j.id) >= (t.priority, t.run_at, t.id)
                            order by j.priority, j.run_at, j.id limit t.share) r) end as ready
              from turns t
        ),
        shares as (
            -- What the short tenants leave goes to the others, in turn order.
            select r.tenant, r.priority, r.run_at, r.id,
                   case when r.ready < r.share then r.ready
                        else r.share + (sum(r.share - least(r.ready, r.share)) over ())::integer / count(*) filter (where r.ready >= r.share) over ()
                             + case when count(*) filter (where r.ready >= r.share) over (order by r.place)
                                         <= (sum(r.share - least(r.ready, r.share)) over ())::integer % count(*) filter (where r.ready >= r.share) over ()
                                    then 1 else 0 end
                   end as n
              from ready r
        ),
        picked as (
            select coalesce(array_agg(c.id),
                            (select berth.pick_capped_jobs($2::integer) where exists (select from berth.queue_tenant_limits))) as ids
              from shares s cross join lateral (
                select j.id from berth.jobs j
                 where j.state = 'queued' and j.tenant = s.tenant and j.run_at <= now()
                   and (j.priority, j.run_at, j.id) >= (s.priority, s.run_at, s.id)
                 order by j.priority, j.run_at, j.id
                 limit s.n
                 for update skip locked) c
        ),
        \(claimedCTE)
        select * from claimed
        """)

    /// The claim while tenant $4 has the queue to itself: up to $2 of its ready jobs, without
    /// the tenant scan and shares of `claim` (about half its plan). It claims nothing when
    /// another tenant has a queued job or any cap is set; the caller then runs `claim`. The
    /// same `session` settings apply.
    static let claimSoleTenant = SQL("queue_claim_sole_tenant", """
        with picked as (
            select array_agg(c.id) as ids from (
                select j.id from berth.jobs j
                 where j.state = 'queued' and j.tenant = $4::text and j.run_at <= now()
                   and not exists (select from berth.queue_tenant_limits)
                   and (select o.tenant from berth.jobs o where o.state = 'queued' and o.tenant > $4::text
                         order by o.tenant, o.priority, o.run_at, o.id limit 1) is null
                   and (select o.tenant from berth.jobs o where o.state = 'queued' and o.tenant < $4::text
                         order by o.tenant desc, o.priority desc, o.run_at desc, o.id desc limit 1) is null
                 order by j.priority, j.run_at, j.id
                 limit $2::integer
                 for update skip locked) c
        ),
        \(claimedCTE)
        select * from claimed
        """)

    /// The last step of both claims, and the only statement that claims: the picked rows
    /// (`picked.ids`) become running, with a lease for worker $1 of $3 ms; only the columns a
    /// handler needs come back (each column of each row is turned into text by the server).
    private static let claimedCTE = """
        claimed as (
            update berth.jobs j
               set state = 'running',
                   attempt = j.attempt + 1,
                   lease_token = gen_random_uuid(),
                   locked_by = $1::text,
                   locked_until = now() + $3::integer * interval '1 millisecond',
                   attempted_at = clock_timestamp(),
                   updated_at = now()
             where j.id = any((select p.ids from picked p)::bigint[])
            returning j.id, j.kind, j.tenant, j.args, j.state, j.priority, j.run_at, j.attempt, j.max_attempts, j.snoozes,
                      j.lease_token, j.cancel_requested
        )
        """

    /// Session settings for `claim`, `complete` and `heartbeat`, which workers run again and
    /// again on long-lived connections. A custom plan per call (what the plan cache picks for a
    /// statement whose LIMITs are parameters) costs more than the claim; the generic plan is
    /// right whatever the limits, and without sequential scans a plan made on a nearly empty
    /// table stays on the indexes after it grows. jit: generic estimates take a parameter LIMIT
    /// as 10% of the table, which would compile a claim of a few rows.
    static let session: KeyValuePairs<String, String> = [
        "plan_cache_mode": "force_generic_plan", "enable_seqscan": "off", "jit": "off",
    ]

    /// Writes a batch of finished attempts, each fenced on its lease token: a job that was
    /// rescued (and maybe claimed again) is not touched by its first, late worker. Ends jobs:
    /// other modules' triggers on `berth.jobs` react in this statement (see the top). A row has a
    /// lease token exactly while it runs (a table check), so the token match is the whole
    /// fence. No `state = 'running'` here: with it, the planner may scan the running-jobs
    /// index, which holds a dead entry for every job claimed since the last vacuum; the
    /// primary key finds the rows at the same cost however many jobs came before.
    static let complete = SQL("queue_complete", """
        update berth.jobs j
           set state = \(finalState),
               run_at = case when c.state = 'queued' then now() + c.delay_ms * interval '1 millisecond' else j.run_at end,
               attempt = j.attempt - case when c.refund then 1 else 0 end,
               snoozes = j.snoozes + case when c.snooze then 1 else 0 end,
               errors = case when c.error is null then j.errors
                             else j.errors || jsonb_build_array(jsonb_build_object(
                                  'at', now(), 'attempt', j.attempt, 'error', c.error)) end,
               last_error = coalesce(c.error, j.last_error),
               output = coalesce(c.output, j.output),
               finished_at = case when \(finalState) = 'queued' then null else now() end,
               locked_by = null, lease_token = null, locked_until = null,
               updated_at = now()
          from unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[], $6::boolean[],
                      $7::boolean[], $8::jsonb[]) as c(id, token, state, delay_ms, error, refund, snooze, output)
         where j.id = c.id and j.lease_token = c.token
        returning j.id, j.state, j.run_at
        """)

    /// A job asked to cancel ends `cancelled` rather than going back to the queue.
    private static let finalState = "(case when c.state = 'queued' and j.cancel_requested then 'cancelled' else c.state end)"

    /// Extends the leases of a process's running jobs in one statement; jobs missing from the
    /// result lost their lease. Also reports cancel requests. Found by primary key and token,
    /// as `complete`.
    static let heartbeat = SQL("queue_heartbeat", """
        update berth.jobs j
           set locked_until = now() + $3 * interval '1 millisecond'
          from unnest($1::bigint[], $2::uuid[]) as h(id, token)
         where j.id = h.id and j.lease_token = h.token
        returning j.id, j.cancel_requested
        """)

    /// Which of the given attempts (id, lease token) have a cancel requested: read before a
    /// worker acts on a `berth_job_cancel` notification, which anyone may send.
    static let cancelRequested = SQL("queue_cancel_requested", """
        select j.id from berth.jobs j
          join unnest($1::bigint[], $2::uuid[]) as h(id, token) on j.id = h.id and j.lease_token = h.token
         where j.cancel_requested
        """)

    static let capsExist = SQL("queue_caps_exist", "select exists (select from berth.queue_tenant_limits) as capped")

    static let synchronousCommit = SQL("queue_synchronous_commit", "select current_setting('synchronous_commit') as setting")

    /// Returns jobs whose lease expired (their worker died or hung) to the queue, or ends them
    /// when out of attempts or cancelled, recording why in the error history. Ends jobs: other
    /// modules' triggers on `berth.jobs` react in this statement (see the top). `$2`: the
    /// channel of new work (`JobQueue.notifyChannel`).
    static let rescue = SQL("queue_rescue", """
        with expired as (
            select id from berth.jobs
             where state = 'running' and locked_until < now()
             order by locked_until
             limit $1
             for update skip locked
        ), rescued as (
            update berth.jobs j
               set state = \(rescuedState),
                   run_at = now(),
                   errors = j.errors || jsonb_build_array(jsonb_build_object(
                       'at', now(), 'attempt', j.attempt, 'rescued', true,
                       'error', 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped heartbeating')),
                   last_error = 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped heartbeating',
                   finished_at = case when \(rescuedState) = 'queued' then null else now() end,
                   locked_by = null, lease_token = null, locked_until = null,
                   updated_at = now()
              from expired
             where j.id = expired.id
            returning j.id, j.kind, j.tenant, j.attempt, j.state
        )
        select r.*, pg_notify($2, '') as notified from rescued r
        """)

    private static let rescuedState = """
        (case when j.cancel_requested then 'cancelled' when j.attempt >= j.max_attempts then 'failed' else 'queued' end)
        """

    /// The queue's one cancel, `berth.request_job_cancel`: the job's state after it, null when
    /// the job is neither queued nor running. Ends a queued job, and provisioning's trigger
    /// reacts to a running create's cancel request (see the top).
    static let cancel = SQL("queue_cancel", "select berth.request_job_cancel($1) as state")

    /// `$2`: the channel of new work (`JobQueue.notifyChannel`).
    static let retry = SQL("queue_retry", """
        with changed as (
            update berth.jobs
               set state = 'queued', run_at = now(), cancel_requested = false, finished_at = null,
                   max_attempts = greatest(max_attempts, attempt + 1), updated_at = now()
             where id = $1 and state in ('failed', 'cancelled', 'succeeded', 'queued')
            returning id, state
        )
        select c.id, c.state, pg_notify($2, '') as notified from changed c
        """)

    /// One vacuum of the jobs table at a time across processes (a session-level advisory lock,
    /// its own class id, apart from the cap locks:
    /// VACUUM cannot run inside a transaction).
    static let tryVacuumLock = SQL("queue_try_vacuum_lock", "select pg_try_advisory_lock(1650815605, 0) as locked")
    static let vacuumUnlock = SQL("queue_vacuum_unlock", "select pg_advisory_unlock(1650815605, 0) as unlocked")
    static let vacuum = "vacuum berth.jobs"

    /// Retention (`RetentionWalk`): one batch of the walk over `berth.jobs` by id. `$1` the
    /// cursor, `$2` the batch size; `$3` seconds to keep succeeded and cancelled jobs, `$4`
    /// failed ones (0: forever), `$5` the shorter of the two that is not 0: a job created later
    /// than that cannot be due, so the walk starts over there. The conditions are on the locked
    /// row (re-checked after a wait), so a job retried meanwhile stays. Other modules keep rows
    /// they still need with a trigger that skips their delete (provisioning's cluster jobs,
    /// migration 0011). Advisory lock class 1650815606 (retention), key 1 (jobs).
    static let pruneJobs = SQL("queue_prune_jobs", """
        with lock as (
            select pg_try_advisory_xact_lock(1650815606, 1) as held
        ), scanned as (
            select j.id, j.created_at from berth.jobs j
             where (select l.held from lock l) and j.id > $1::bigint
             order by j.id limit $2::integer
        ), doomed as (
            select j.id from berth.jobs j
             where j.id = any (array(select s.id from scanned s))
               and ((j.state in ('succeeded', 'cancelled') and $3::float8 > 0 and j.finished_at < now() - $3::float8 * interval '1 second')
                    or (j.state = 'failed' and $4::float8 > 0 and j.finished_at < now() - $4::float8 * interval '1 second'))
               for update skip locked
        ), deleted as (
            delete from berth.jobs j using doomed d where j.id = d.id returning j.id
        )
        select (select l.held from lock l) as held, (select max(s.id) from scanned s) as last_id,
               (select count(*) from scanned) as scanned, (select count(*) from deleted) as deleted,
               coalesce((select bool_or(s.created_at > now() - $5::float8 * interval '1 second') from scanned s), false) as young
        """)

    static let get = SQL("queue_get", "select * from berth.jobs where id = $1")

    static let list = SQL("queue_list", """
        select * from berth.jobs
         where ($1::text is null or state = $1)
           and ($2::text is null or tenant = $2)
           and ($3::text is null or kind = $3)
         order by id desc
         limit $4
        """)

    /// What `berth status` shows, in one statement: queued and running jobs from their partial
    /// indexes (which hold only those rows), and the finished states in one pass over the table
    /// (the only way to count them exactly).
    static let status = SQL("queue_status", """
        select f.succeeded, f.failed, f.cancelled, q.queued, q.ready, q.scheduled, q.age_seconds, r.running, r.per_tenant
          from (select count(*) filter (where j.state = 'succeeded') as succeeded,
                       count(*) filter (where j.state = 'failed') as failed,
                       count(*) filter (where j.state = 'cancelled') as cancelled
                  from berth.jobs j where j.state not in ('queued', 'running')) f,
               (select count(*) as queued, count(*) filter (where j.run_at <= now()) as ready,
                       count(*) filter (where j.run_at > now()) as scheduled,
                       extract(epoch from now() - min(j.run_at))::float8 as age_seconds
                  from berth.jobs j where j.state = 'queued') q,
               (select coalesce(sum(t.n), 0)::bigint as running, coalesce(jsonb_object_agg(t.tenant, t.n), '{}') as per_tenant
                  from (select j.tenant, count(*) as n from berth.jobs j where j.state = 'running' group by j.tenant) t) r
        """)

    static let setTenantLimit = SQL("queue_set_tenant_limit", """
        insert into berth.queue_tenant_limits (tenant, max_running) values ($1, $2)
        on conflict (tenant) do update set max_running = excluded.max_running
        """)

    static let clearTenantLimit = SQL("queue_clear_tenant_limit", "delete from berth.queue_tenant_limits where tenant = $1")
}
