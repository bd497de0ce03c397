-- The queue's SQL functions, and provisioning going through them: the one boundary between the
-- two in the database (docs/architecture.md, "The seams between the queue and provisioning").
--
-- The queue owns `berth.jobs`. Others enqueue with berth.enqueue_job, fence their writes with
-- berth.job_holds_lease and cancel with berth.request_job_cancel; none of them inserts into the
-- table, checks a lease or sets cancel_requested itself. The workers' claim statement
-- (QueueSQL.claim) is the one place that claims: berth.pick_capped_jobs only picks for it.
--
-- Channels: each is named in one live SQL function and one Swift constant (ChannelTests, in
-- ProvisioningTests, checks that they agree): `berth_jobs` in berth.jobs_notify (migration 0003) and
-- JobQueue.notifyChannel, `berth_job_cancel` in berth.request_job_cancel (below) and
-- JobQueue.cancelChannel, `berth_events` in berth.events_notify (0003) and EventLog.channel. The
-- worker's own statements that notify (rescue, retry) take the channel as a bind.
--
-- Same rules as 0003: every function pins `search_path = pg_catalog, berth, pg_temp`, types are
-- schema-qualified, and nothing here is executable by PUBLIC.

-- ------------------------------------------------------------------ the queue

-- Enqueues one job and returns its id. With a unique key that an active (queued or running) job
-- holds, nothing is inserted and that job's id is returned. The SQL API and provisioning enqueue
-- through it; `berth jobs enqueue --count N` inserts N copies in one statement (QueueSQL.enqueue).
create function berth.enqueue_job(p_kind pg_catalog.text, p_tenant pg_catalog.text, p_args pg_catalog.jsonb default '{}',
                                  p_priority pg_catalog.int4 default 1, p_run_at pg_catalog.timestamptz default null,
                                  p_max_attempts pg_catalog.int4 default 20, p_unique_key pg_catalog.text default null)
returns pg_catalog.int8 language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_id pg_catalog.int8;
begin
    loop
        insert into berth.jobs (kind, tenant, args, priority, run_at, max_attempts, unique_key)
        values (p_kind, coalesce(p_tenant, ''), coalesce(p_args, '{}'), p_priority, coalesce(p_run_at, now()), p_max_attempts,
                p_unique_key)
        on conflict (unique_key) where state in ('queued', 'running') do nothing
        returning id into v_id;
        if v_id is not null then
            return v_id;
        end if;
        select j.id into v_id from berth.jobs j where j.unique_key = p_unique_key and j.state in ('queued', 'running');
        if v_id is not null then
            return v_id;
        end if;
        -- The job that held the key ended in between: each statement here sees what committed
        -- before it, so the next insert goes through or finds the new holder.
    end loop;
end $$;

-- Whether job p_job still runs under lease p_token: the fence of every write a running job makes
-- outside the queue's own statements (a step's checkpoint, a cluster's state, a network's
-- outcome). A job has a lease token exactly while it runs (a check on the table) and each claim
-- draws a new one, so the worker of a job that was rescued, and maybe claimed again, no longer
-- matches. The queue's own statements (completion, heartbeat) match the token in their join.
create function berth.job_holds_lease(p_job pg_catalog.int8, p_token pg_catalog.uuid) returns pg_catalog.bool
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select exists (select from berth.jobs j where j.id = p_job and j.lease_token = p_token)
$$;

-- Asks job p_job to stop: a queued job ends `cancelled` at once; a running one gets
-- cancel_requested, and its worker a notification on `berth_job_cancel` (a hint: the worker
-- reads the flag for its attempt before it interrupts anything; followers of a cluster may
-- listen too). Asking again notifies again.
-- Returns the job's state after the call, null when it is neither queued nor running. The one
-- cancel: `berth jobs cancel` (QueueSQL.cancel), the SQL API's berth.cancel_job and
-- provisioning's berth.request_cluster_delete call it. Triggers of other modules may react to
-- cancel_requested (provisioning's, 0002/0003: a cancelled create becomes a delete).
create function berth.request_job_cancel(p_job pg_catalog.int8) returns pg_catalog.text
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_state pg_catalog.text;
begin
    update berth.jobs j
       set state = case when j.state = 'queued' then 'cancelled' else j.state end,
           cancel_requested = true,
           finished_at = case when j.state = 'queued' then now() else j.finished_at end,
           updated_at = now()
     where j.id = p_job and j.state in ('queued', 'running')
    returning j.state into v_state;
    if v_state is not null then
        perform pg_notify('berth_job_cancel', p_job::pg_catalog.text);
    end if;
    return v_state;
end $$;

-- The capped part of the workers' claim (QueueSQL.claim calls it when berth.queue_tenant_limits
-- has a row): picks and locks up to p_limit ready jobs, fairly across tenants and within each
-- tenant's cap, and returns their ids in turn order; the claim statement then claims them with
-- its own update, the only one. Capped tenants are first locked with a per-tenant advisory lock
-- in a statement of their own, so each later statement's snapshot includes every earlier claim
-- for that tenant and its running count is exact across processes; a capped tenant that
-- another claimer holds at this instant is skipped (it is being served). Pass 1 gives each
-- tenant an equal share of the batch; pass 2 hands what is left to the others, in turn order.
-- It is berth.claim_jobs of 0001 without that function's update: jobs picked in pass 1 are
-- still queued in pass 2 (locked by this transaction, so SKIP LOCKED does not skip them), so
-- pass 2 leaves them out and counts them against their tenant's cap. 0001 explains the plan
-- settings.
create function berth.pick_capped_jobs(p_limit pg_catalog.int4) returns pg_catalog.int8[]
language plpgsql
set search_path = pg_catalog, berth, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
as $$
declare
    v_tenants pg_catalog.text[];
    v_caps pg_catalog.int4[];
    v_left pg_catalog.int4 := p_limit;
    v_ids pg_catalog.int8[] := '{}';
    v_got pg_catalog.int8[];
begin
    if p_limit <= 0 then
        return v_ids;
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

    for v_pass in 1..2 loop
        exit when cardinality(v_tenants) = 0;
        with allowance as (
            select t.tenant,
                   case when t.cap is null then s.share
                        else greatest(0, least(s.share, t.cap
                            - (select count(*) from berth.jobs r where r.state = 'running' and r.tenant = t.tenant)::pg_catalog.int4
                            - (select count(*) from berth.jobs p where p.id = any (v_ids) and p.tenant = t.tenant)::pg_catalog.int4))
                   end as n
              from unnest(v_tenants, v_caps) as t(tenant, cap)
             cross join (select case when v_pass = 1 then ceil(v_left::pg_catalog.numeric / cardinality(v_tenants))::pg_catalog.int4
                                     else v_left end as share) s
        ),
        candidates as (
            select c.id, c.priority, c.run_at,
                   row_number() over (partition by a.tenant order by c.priority, c.run_at, c.id) as turn
              from allowance a cross join lateral (
                    select j.id, j.priority, j.run_at from berth.jobs j
                     where j.state = 'queued' and j.tenant = a.tenant and j.run_at <= now() and j.id <> all (v_ids)
                     order by j.priority, j.run_at, j.id
                     limit a.n
                     for update skip locked) c
             where a.n > 0
        )
        select coalesce(array_agg(c.id order by c.turn, c.priority, c.run_at, c.id), '{}') into v_got
          from (select * from candidates c order by c.turn, c.priority, c.run_at, c.id limit v_left) c;
        v_ids := v_ids || v_got;
        v_left := v_left - cardinality(v_got);
        exit when v_left <= 0 or cardinality(v_got) = 0 or cardinality(v_tenants) = 1;
    end loop;
    return v_ids;
end $$;

-- Workers of before this migration claim capped tenants through berth.claim_jobs, inside their
-- claim statement, which names it even when no cap is set. It stays so that their statement
-- still runs during a rolling upgrade, but it claims nothing any more (with a cap set, such a
-- worker's claim fails until it is upgraded): the one update that claims is the workers' claim
-- statement. A later migration drops it.
create or replace function berth.claim_jobs(p_worker text, p_limit integer, p_lease_ms integer)
returns setof berth.jobs language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    raise exception using errcode = '0A000',
        message = 'berth.claim_jobs was replaced by the claim statement of berth worker (migration 0004): upgrade this worker';
end $$;

-- ------------------------------------------------------------------ provisioning, through the queue

-- The tenant an API call names, once the caller may act for it: the name's rule, the caller's
-- grant (checked before the tenant is looked at, so a scoped role learns nothing about others),
-- then the tenant. The API functions that take a tenant start here.
create function berth.api_tenant(p_name pg_catalog.text) returns berth.tenants
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants;
begin
    perform berth.check_tenant_name(p_name);
    perform berth.check_tenant_access(p_name);
    select * into t from berth.tenants x where x.name = p_name;
    if not found then
        perform berth.spec_error(format('unknown tenant %s', berth.quote_input(p_name)));
    end if;
    return t;
end $$;

create or replace function berth.create_cluster(tenant text, name text, spec jsonb default '{}') returns uuid
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants := berth.api_tenant(create_cluster.tenant);
    c berth.clusters;
    v_spec pg_catalog.jsonb;
    v_job pg_catalog.int8;
begin
    perform berth.check_cluster_name(create_cluster.name);
    v_spec := berth.resolve_spec(t, spec);
    -- A live cluster of that name (the unique index on live names) is refused with its state.
    begin
        insert into berth.clusters (tenant_id, tenant, name, backend, region, spec)
        values (t.id, t.name, create_cluster.name, v_spec ->> 'backend', v_spec ->> 'region', v_spec)
        returning * into c;
    exception when unique_violation then
        perform berth.spec_error(format('tenant %s already has a cluster named %s (state %s): delete it first or pick another name',
            berth.quote_input(t.name), berth.quote_input(create_cluster.name),
            coalesce((select x.state from berth.clusters x
                       where x.tenant_id = t.id and x.name = create_cluster.name and x.state <> 'stopped'), 'being created')));
    end;
    v_job := berth.enqueue_job('cluster.create', t.name, pg_catalog.jsonb_build_object('cluster_id', c.id), p_max_attempts => 25);
    update berth.clusters x set create_job = v_job where x.id = c.id returning * into c;
    perform berth.add_event(c, v_job, 'state', null, 'cluster requested', pg_catalog.jsonb_build_object('spec', v_spec));
    return c.id;
end $$;

create or replace function berth.delete_cluster(tenant text, name text) returns uuid
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants := berth.api_tenant(delete_cluster.tenant);
    v_id pg_catalog.uuid;
begin
    perform berth.check_cluster_name(delete_cluster.name);
    select x.id into v_id from berth.clusters x where x.tenant_id = t.id and x.name = delete_cluster.name and x.state <> 'stopped';
    if not found then
        perform berth.spec_error(format('tenant %s has no cluster named %s (stopped clusters are gone already)',
            berth.quote_input(t.name), berth.quote_input(delete_cluster.name)));
    end if;
    perform berth.request_cluster_delete(v_id, 'delete requested');
    return v_id;
end $$;

-- Asks for a cluster to go away: marks it, enqueues its delete job (one per cluster: a unique
-- key) and cancels a create in flight (a queued one ends at once, a running one stops at its next
-- step boundary). Idempotent: with a delete in flight it only turns a cleanup after a failed
-- create (keep_error) into a user's delete when a user asks.
create or replace function berth.request_cluster_delete(p_cluster_id uuid, p_reason text, p_keep_error boolean default false)
returns bigint language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
    v_job pg_catalog.int8;
begin
    select * into c from berth.clusters x where x.id = p_cluster_id for update;
    if not found then
        return null;
    end if;
    if c.desired = 'deleted' and exists (select from berth.jobs j where j.id = c.delete_job and j.state in ('queued', 'running')) then
        if c.keep_error and not p_keep_error then
            update berth.clusters x set keep_error = false, state = 'stopping', updated_at = now() where x.id = c.id returning * into c;
            perform berth.add_event(c, c.delete_job, 'state', null, p_reason);
        end if;
    elsif c.state <> 'stopped' then
        v_job := berth.enqueue_job('cluster.delete', c.tenant, pg_catalog.jsonb_build_object('cluster_id', c.id), p_priority => 0,
                                   p_max_attempts => 25, p_unique_key => 'cluster-delete:' || c.id);
        -- A cleanup after a failed create keeps `error` (and its reason) in view; a user's
        -- delete moves any cluster to `stopping`.
        update berth.clusters x
           set desired = 'deleted', delete_job = v_job, keep_error = p_keep_error,
               state = case when p_keep_error then x.state else 'stopping' end, updated_at = now()
         where x.id = c.id
        returning * into c;
        perform berth.add_event(c, v_job, 'state', null, p_reason);
        if c.create_job is not null then
            perform berth.request_job_cancel(c.create_job);
        end if;
    end if;
    return c.delete_job;
end $$;

drop function berth.cancel_job_quietly(bigint);

-- Cancels a job of a tenant the caller may act for, as `berth jobs cancel` does (through the
-- queue's berth.request_job_cancel). Cancelling a cluster's create deletes the cluster
-- (provisioning's trigger on berth.jobs). Returns the job's state after the call. A job the
-- caller may not act for is reported as missing, so its existence does not leak.
create or replace function berth.cancel_job(job pg_catalog.int8) returns pg_catalog.text
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_all pg_catalog.bool := berth.acts_for_all_tenants(berth.invoker());
    v_state pg_catalog.text;
begin
    if not exists (select from berth.jobs j
                    where j.id = cancel_job.job and (v_all or j.tenant = any (berth.tenants_granted_to(berth.invoker())))) then
        perform berth.spec_error(format('there is no job %s%s', coalesce(cancel_job.job::pg_catalog.text, 'NULL'),
            case when v_all then '' else ' among the jobs of the tenants this role may act for' end));
    end if;
    v_state := berth.request_job_cancel(cancel_job.job);
    if v_state is null then
        perform berth.spec_error(format('job %s is %s: only queued or running jobs can be cancelled', cancel_job.job,
            (select j.state from berth.jobs j where j.id = cancel_job.job)));
    end if;
    return v_state;
end $$;

-- ------------------------------------------------------------------ privileges

revoke all on function berth.enqueue_job(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.int4, pg_catalog.timestamptz,
                                         pg_catalog.int4, pg_catalog.text),
    berth.job_holds_lease(pg_catalog.int8, pg_catalog.uuid), berth.request_job_cancel(pg_catalog.int8),
    berth.pick_capped_jobs(pg_catalog.int4), berth.claim_jobs(text, integer, integer), berth.api_tenant(pg_catalog.text)
    from public;
