-- The job queue: one table, partial indexes that stay small however many finished jobs the
-- table holds, a claim function (one round trip), and a NOTIFY per enqueueing statement.

create table berth.jobs (
    id              bigint generated always as identity primary key,
    kind            text not null check (kind <> ''),
    tenant          text not null default '',
    args            jsonb not null default '{}',
    state           text not null default 'queued'
                    check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- 0 runs first; larger numbers wait behind smaller ones (within a tenant's turn).
    priority        smallint not null default 1 check (priority between 0 and 9),
    run_at          timestamptz not null default now(),
    attempt         integer not null default 0 check (attempt >= 0),
    max_attempts    integer not null default 20 check (max_attempts > 0),
    snoozes         integer not null default 0,
    locked_by       text,
    lease_token     uuid,
    locked_until    timestamptz,
    cancel_requested boolean not null default false,
    -- [{at, attempt, error}], oldest first: every failed attempt, rescue and release.
    errors          jsonb not null default '[]',
    last_error      text,
    output          jsonb,
    unique_key      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    attempted_at    timestamptz,
    finished_at     timestamptz,
    check ((state = 'running') = (lease_token is not null))
);

-- Claim: the next queued jobs of a tenant in (priority, run_at, id) order; finished rows are
-- not in it, so a claim costs the same with a million of them.
create index jobs_claim_idx on berth.jobs (tenant, priority, run_at, id) where state = 'queued';
-- Caps: running jobs per tenant; rescue: expired leases (it reads only the running rows, a few
-- per worker slot). One index for both, because every claim and heartbeat writes an entry in it.
create index jobs_running_idx on berth.jobs (tenant, locked_until) where state = 'running';
-- At most one active job per unique key.
create unique index jobs_unique_key_idx on berth.jobs (unique_key) where state in ('queued', 'running');
-- No index on created_at: listings go by id (the primary key), and every claim and
-- completion would write one more index entry for nothing.

-- Optional caps on running jobs per tenant; the tenant '*' sets the default for all others.
create table berth.queue_tenant_limits (
    tenant      text primary key,
    max_running integer not null check (max_running >= 0)
);

-- One NOTIFY per statement that enqueues, however many rows it inserts.
create function berth.jobs_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('berth_jobs', '');
    return null;
end $$;

create trigger jobs_notify after insert on berth.jobs
    for each statement execute function berth.jobs_notify();

-- Claims up to p_limit ready jobs for p_worker in one round trip, fairly across tenants and
-- within the per-tenant caps of queue_tenant_limits: every tenant's first job comes before any
-- tenant's second, so a tenant with one job is not stuck behind another's ten thousand. Rows are
-- taken FOR UPDATE SKIP LOCKED, so concurrent claimers never block on or double-claim a row.
--
-- Workers claim through one statement (QueueSQL.claim in Sources/Queue) that is cheaper when no
-- cap is set and calls this function when one is. Capped tenants are claimed under a
-- per-tenant advisory lock taken in a first statement; the second statement's snapshot then
-- includes every earlier claim for that tenant, so the running count it sees is exact and the
-- cap holds across any number of worker processes. A capped tenant that another claimer holds
-- at this instant is skipped (it is being served).
--
-- Pass 1 gives each tenant an equal share of the batch; pass 2 hands what is left (tenants
-- with less work than their share) to the others, still in turn order. Same round trip.
--
-- Plans: each statement is planned once per session and reused (until the table's statistics
-- change). A custom plan per call, which the plan cache picks for statements whose LIMITs are
-- parameters, costs more than running the claim. The statements are written so the generic plan
-- is right whatever the limits: index probes only, and the update finds its rows by primary key
-- (id = any(array)), not by a join the planner could turn into a hash join over the table.
-- enable_seqscan = off keeps a plan made while the table was tiny from being a sequential scan
-- of the table it has since become; jit = off because generic estimates take a parameter LIMIT
-- as 10% of the table, which would compile a claim of a few rows.
create function berth.claim_jobs(p_worker text, p_limit integer, p_lease_ms integer)
returns setof berth.jobs language plpgsql
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
as $$
declare
    v_tenants text[];
    v_caps integer[];
    v_left integer := p_limit;
    v_got integer;
begin
    if p_limit <= 0 then
        return;
    end if;

    -- Tenants with queued jobs (a loose index scan: one probe per tenant), with their caps;
    -- capped ones under the advisory lock.
    with recursive heads as (
        (select j.tenant, j.priority, j.run_at from berth.jobs j
          where j.state = 'queued' order by j.tenant, j.priority, j.run_at, j.id limit 1)
        union all
        select n.tenant, n.priority, n.run_at from heads h cross join lateral (
            select j.tenant, j.priority, j.run_at from berth.jobs j
             where j.state = 'queued' and j.tenant > h.tenant
             order by j.tenant, j.priority, j.run_at, j.id limit 1) n
    ),
    eligible as (
        select h.tenant, coalesce(l.max_running, d.max_running) as cap
          from heads h
          left join berth.queue_tenant_limits l on l.tenant = h.tenant
          left join berth.queue_tenant_limits d on d.tenant = '*'
         order by (h.run_at > now()), h.priority, h.run_at, h.tenant
         limit p_limit
    )
    select coalesce(array_agg(e.tenant), '{}'), coalesce(array_agg(e.cap), '{}')
      into v_tenants, v_caps
      from eligible e
     where case when e.cap is null then true
                else pg_try_advisory_xact_lock(1650815604, hashtext(e.tenant)) end;

    if cardinality(v_tenants) = 0 then
        return;
    end if;

    for v_pass in 1..2 loop
        return query
        with allowance as (
            select t.tenant,
                   case when t.cap is null then s.share
                        else greatest(0, least(s.share, t.cap - (
                            select count(*) from berth.jobs r
                             where r.state = 'running' and r.tenant = t.tenant)::integer))
                   end as n
              from unnest(v_tenants, v_caps) as t(tenant, cap)
             cross join (select case when v_pass = 1 then ceil(v_left::numeric / cardinality(v_tenants))::integer
                                     else v_left end as share) s
        ),
        candidates as (
            select c.id, c.priority, c.run_at,
                   row_number() over (partition by a.tenant order by c.priority, c.run_at, c.id) as turn
              from allowance a cross join lateral (
                    select j.id, j.priority, j.run_at from berth.jobs j
                     where j.state = 'queued' and j.tenant = a.tenant and j.run_at <= now()
                     order by j.priority, j.run_at, j.id
                     limit a.n
                     for update skip locked) c
             where a.n > 0
        ),
        picked as (
            select array_agg(c.id order by c.turn, c.priority, c.run_at, c.id) as ids
              from (select * from candidates c order by c.turn, c.priority, c.run_at, c.id limit v_left) c
        ),
        claimed as (
            update berth.jobs j
               set state = 'running',
                   attempt = j.attempt + 1,
                   lease_token = gen_random_uuid(),
                   locked_by = p_worker,
                   locked_until = now() + p_lease_ms * interval '1 millisecond',
                   attempted_at = clock_timestamp(),
                   updated_at = now()
             where j.id = any((select p.ids from picked p)::bigint[])
            returning j.*
        )
        select c.* from claimed c
          join unnest((select p.ids from picked p)) with ordinality as o(id, turn) on o.id = c.id
         order by o.turn;
        get diagnostics v_got = row_count;
        v_left := v_left - v_got;
        exit when v_left <= 0 or v_got = 0 or cardinality(v_tenants) = 1;
    end loop;
end $$;
