-- The worker set and scale (issue 15): berth.cluster_workers (0012) as the record of a cluster's
-- workers, the `cluster.workers` job that converges them to the spec's `workers` (launching the
-- missing ones, replacing stopped ones, stopping the newest extra ones), and the SQL API
-- berth.scale_cluster. docs/provisioning.md ("The worker set") explains each. Same rules as 0003:
-- every function pins `search_path = pg_catalog, berth, pg_temp`, types are schema-qualified, and
-- nothing here is executable by PUBLIC.

-- ------------------------------------------------------------------ the worker set

-- A stopped worker is due for a replacement until a row `replaces` it or it is `retired`: Berth
-- stopped it on purpose (a scale down, a delete), or the count was met without it.
alter table berth.cluster_workers add column retired pg_catalog.bool not null default false;

-- Launch failures of a cluster's workers (an error launching, or a new worker that stopped before
-- it ran): three within ten minutes make the cluster `degraded` while the job keeps trying.
create table berth.cluster_worker_failures (
    id          pg_catalog.int8 generated always as identity primary key,
    cluster_id  pg_catalog.uuid not null references berth.clusters (id) on delete cascade,
    at          pg_catalog.timestamptz not null default pg_catalog.clock_timestamp(),
    reason      pg_catalog.text not null
);
create index cluster_worker_failures_idx on berth.cluster_worker_failures (cluster_id, at);

-- Clusters created before this migration: their workers from their create's checkpoints (the
-- ids the `worker_tasks` / `worker_instances` step recorded).
insert into berth.cluster_workers (cluster_id, resource_id, launched_at)
select c.id, w.id, s.updated_at
  from berth.clusters c
  join berth.steps s on s.scope = 'cluster:' || c.id::pg_catalog.text and s.state = 'done'
                    and s.step in ('worker_tasks', 'worker_instances')
 cross join lateral pg_catalog.unnest(pg_catalog.string_to_array(
        nullif(s.outputs ->> case s.step when 'worker_tasks' then 'worker_task_arns' else 'worker_instance_ids' end, ''),
        ',')) as w(id)
 where c.state not in ('stopped', 'error')
on conflict do nothing;

-- Asks for cluster p_cluster_id's workers to be converged to its spec's `workers`: enqueues the
-- `cluster.workers` job (one per cluster: a unique key; while one is queued or running, that
-- one's id is returned and it picks the newest count up). Null when the cluster is not live
-- (`ready`, `scaling` or `degraded`, and no delete asked). Internal: berth.scale_cluster, the
-- reconcile (after it marked a stopped worker, berth.worker_stopped) and the job's own trigger.
create function berth.converge_workers(p_cluster_id pg_catalog.uuid, p_reason pg_catalog.text) returns pg_catalog.int8
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    select * into c from berth.clusters x where x.id = p_cluster_id;
    if not found or c.desired <> 'running' or c.state not in ('ready', 'scaling', 'degraded') then
        return null;
    end if;
    return berth.enqueue_job('cluster.workers', c.tenant,
                             pg_catalog.jsonb_build_object('cluster_id', c.id, 'reason', p_reason),
                             p_max_attempts => 25, p_unique_key => 'cluster-workers:' || c.id::pg_catalog.text);
end $$;

-- The reconcile saw worker p_resource_id of cluster p_cluster_id stopped (AWS's reason in
-- p_reason): marks its row `stopped` (a row Berth was stopping stays retired) and asks for the
-- workers to be converged, which replaces it. Returns the converge job's id (null: the cluster is
-- not live, or the worker is not one of its rows).
create function berth.worker_stopped(p_cluster_id pg_catalog.uuid, p_resource_id pg_catalog.text, p_reason pg_catalog.text)
returns pg_catalog.int8 language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    update berth.cluster_workers w
       set state = 'stopped', stopped_at = pg_catalog.clock_timestamp(), stopped_reason = p_reason
     where w.cluster_id = p_cluster_id and w.resource_id = p_resource_id and w.state <> 'stopped';
    if not found and not exists (select from berth.cluster_workers w where w.cluster_id = p_cluster_id
                                                                      and w.resource_id = p_resource_id) then
        return null;
    end if;
    return berth.converge_workers(p_cluster_id, 'worker ' || p_resource_id || ' stopped: ' || coalesce(p_reason, 'no reason given'));
end $$;

-- When a `cluster.workers` job ends: succeeded while a request came in after its last look (the
-- cluster is still `scaling`, or its count is off: a scale or a stopped worker whose enqueue
-- found the job still running), another converge is enqueued; failed (only when its attempts
-- ran out: the job snoozes through launch failures), the cluster is `degraded` with the reason.
create function berth.cluster_workers_job_ended() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    select * into c from berth.clusters x where x.id = (new.args ->> 'cluster_id')::pg_catalog.uuid;
    if not found or c.desired <> 'running' or c.state not in ('ready', 'scaling', 'degraded') then
        return null;
    end if;
    if new.state = 'succeeded' then
        if c.state <> 'ready' or (c.spec ->> 'workers')::pg_catalog.numeric <>
                (select pg_catalog.count(*) from berth.cluster_workers w where w.cluster_id = c.id and w.state = 'running') then
            perform berth.converge_workers(c.id, 'a request came in as the last converge ended');
        end if;
    else
        update berth.clusters x
           set state = 'degraded', error = 'changing the workers failed: ' || coalesce(new.last_error, '?'), updated_at = pg_catalog.now()
         where x.id = c.id
        returning * into c;
        perform berth.add_event(c, new.id, 'state', null, c.error || '; scale the cluster again to retry');
    end if;
    return null;
end $$;

create trigger jobs_cluster_workers_ended after update of state on berth.jobs
    for each row when (new.kind = 'cluster.workers' and new.state in ('succeeded', 'failed') and old.state is distinct from new.state)
    execute function berth.cluster_workers_job_ended();

-- ------------------------------------------------------------------ usage

-- Bills cluster p_cluster at p_workers workers from p_at: closes its open period and opens one at
-- the new count (the same sizes: a scale changes only the count), unless the count is the same.
-- The `cluster.workers` job calls it once its launches answered or its stops did, with the
-- workers that run then.
create function berth.resize_usage_period(p_cluster pg_catalog.uuid, p_workers pg_catalog.int4, p_at pg_catalog.timestamptz)
returns void language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    p berth.usage_periods;
    v_at pg_catalog.timestamptz;
begin
    select * into p from berth.usage_periods x where x.cluster_id = p_cluster and x.ended_at is null for update;
    if not found or p.workers = p_workers then
        return;
    end if;
    v_at := greatest(p_at, p.started_at);
    update berth.usage_periods x set ended_at = v_at where x.id = p.id;
    insert into berth.usage_periods (cluster_id, tenant_id, tenant, backend, spot, workers, worker_vcpus, worker_memory_gib,
                                     worker_gpus, started_at)
    values (p.cluster_id, p.tenant_id, p.tenant, p.backend, p.spot, p_workers, p.worker_vcpus, p.worker_memory_gib,
            p.worker_gpus, v_at);
end $$;

-- ------------------------------------------------------------------ quotas

-- 0011's check, also for a live cluster that grows (p_resize): then p_spec's `workers` are the
-- workers added, and neither a cluster nor a scheduler is (both run already). The three-argument
-- form (berth.create_cluster's) keeps its signature and meaning, and calls this one.
create function berth.check_cluster_quota(p_tenant berth.tenants, p_spec pg_catalog.jsonb, p_what pg_catalog.text,
                                          p_resize pg_catalog.bool)
returns void language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants := p_tenant;
    z record;
    u record;
    v_workers pg_catalog.int8 := coalesce((p_spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int8, 0);
    v_scheduler pg_catalog.numeric;
    v_vcpus pg_catalog.numeric;
    v_gpu_workers pg_catalog.int8;
    v_raise pg_catalog.text := format('; delete a cluster, or ask the operator for more (berth tenant update %s --', t.name);
begin
    if t.max_clusters is null and t.max_workers is null and t.max_vcpus is null and t.max_gpu_workers is null then
        return;
    end if;
    update berth.tenants x set quota_checked_at = clock_timestamp() where x.id = p_tenant.id returning * into t;
    select * into z from berth.cluster_size(p_spec);
    select * into u from berth.tenant_quota_use(t.id);
    v_scheduler := case when p_resize then 0 else z.scheduler_vcpus end;
    v_vcpus := v_workers * z.worker_vcpus + v_scheduler;
    v_gpu_workers := case when z.worker_gpus > 0 then v_workers else 0 end;
    if not p_resize and t.max_clusters is not null and u.clusters + 1 > t.max_clusters then
        raise exception using errcode = '53400', message = format(
            'tenant %s is at its quota: max_clusters is %s and %s cluster%s live; %s would be one more%smax-clusters N)',
            berth.quote_input(t.name), t.max_clusters, u.clusters, case when u.clusters = 1 then ' is' else 's are' end, p_what, v_raise);
    end if;
    -- A cluster that adds nothing of a kind passes that limit, even where use is over it already
    -- (a limit lowered below what runs: live clusters keep running).
    if t.max_workers is not null and v_workers > 0 and u.workers + v_workers > t.max_workers then
        raise exception using errcode = '53400', message = format(
            'tenant %s would exceed its quota: max_workers is %s and its live clusters have %s worker%s; %s asks for %s%smax-workers N)',
            berth.quote_input(t.name), t.max_workers, u.workers, case when u.workers = 1 then '' else 's' end, p_what,
            v_workers || case when p_resize then ' more' else '' end, v_raise);
    end if;
    if t.max_gpu_workers is not null and v_gpu_workers > 0 and u.gpu_workers + v_gpu_workers > t.max_gpu_workers then
        raise exception using errcode = '53400', message = format(
            'tenant %s would exceed its quota: max_gpu_workers is %s and its live clusters have %s GPU worker%s; %s asks for %s%smax-gpu-workers N)',
            berth.quote_input(t.name), t.max_gpu_workers, u.gpu_workers, case when u.gpu_workers = 1 then '' else 's' end, p_what,
            v_gpu_workers || case when p_resize then ' more' else '' end, v_raise);
    end if;
    if t.max_vcpus is not null then
        if v_vcpus is null then
            perform berth.spec_error(format('tenant %s has a vCPU quota (max_vcpus %s), and Berth does not know how many vCPUs instance type %s has: '
                || 'use a type listed in berth.instance_sizes or one named <family>.large, .xlarge or .<n>xlarge',
                berth.quote_input(t.name), t.max_vcpus,
                berth.quote_input(case when z.worker_vcpus is null then z.worker_type else z.scheduler_type end)));
        end if;
        if u.vcpus + v_vcpus > t.max_vcpus then
            raise exception using errcode = '53400', message = format(
                'tenant %s would exceed its quota: max_vcpus is %s and its live clusters use %s vCPUs (workers and schedulers); '
                || '%s needs %s (%s%s worker%s × %s%s)%smax-vcpus N)',
                berth.quote_input(t.name), t.max_vcpus, trim_scale(u.vcpus), p_what, trim_scale(v_vcpus), v_workers,
                case when p_resize then ' more' else '' end, case when v_workers = 1 then '' else 's' end, trim_scale(z.worker_vcpus),
                case when p_resize then '' else ' + a scheduler of ' || trim_scale(z.scheduler_vcpus) end, v_raise);
        end if;
    end if;
end $$;

create or replace function berth.check_cluster_quota(p_tenant berth.tenants, p_spec pg_catalog.jsonb, p_what pg_catalog.text default 'this cluster')
returns void language sql set search_path = pg_catalog, berth, pg_temp as $$
    select berth.check_cluster_quota(p_tenant, p_spec, p_what, false)
$$;

-- ------------------------------------------------------------------ the SQL API

-- Resizes a live cluster to `workers` workers (0-100, as in the spec). Only a `ready`, `scaling`
-- or `degraded` cluster: anything else is refused with 55000 naming its state. The same count is
-- a no-op (no event, no new job). Growing is checked against the tenant's quotas (53400, nothing
-- written). In one transaction: the spec's `workers`, state `scaling`, a `state` event, and the
-- `cluster.workers` job (berth.converge_workers: one per cluster, so a scale during a scale only
-- changes the count that job converges to). The job returns the cluster to `ready`.
create function berth.scale_cluster(tenant pg_catalog.text, name pg_catalog.text, workers pg_catalog.int4) returns pg_catalog.uuid
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants := berth.api_tenant(scale_cluster.tenant);
    c berth.clusters;
    v_now pg_catalog.int4;
begin
    perform berth.check_cluster_name(scale_cluster.name);
    if scale_cluster.workers is null then
        perform berth.spec_error('workers must be given: a whole number between 0 and 100');
    end if;
    perform berth.spec_number(pg_catalog.jsonb_build_object('workers', scale_cluster.workers), 'workers', 0, 100, true, null);
    select * into c from berth.clusters x where x.tenant_id = t.id and x.name = scale_cluster.name and x.state <> 'stopped' for update;
    if not found then
        perform berth.spec_error(format('tenant %s has no cluster named %s (stopped clusters are gone already)',
            berth.quote_input(t.name), berth.quote_input(scale_cluster.name)));
    end if;
    if c.desired <> 'running' or c.state not in ('ready', 'scaling', 'degraded') then
        raise exception using errcode = '55000', message = format(
            'cluster %s of tenant %s is %s: only a ready, scaling or degraded cluster can be scaled%s',
            berth.quote_input(c.name), berth.quote_input(t.name), c.state,
            case when c.desired <> 'running' or c.state = 'stopping' then ' (it is being deleted)'
                 when c.state in ('pending', 'starting') then '; wait until it is ready (berth cluster create --wait)'
                 when c.state = 'error' then '; delete it and create it again'
                 else '' end);
    end if;
    v_now := (c.spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int4;
    if v_now = scale_cluster.workers then
        -- Nothing to change; a cluster still converging keeps its one job (none is added).
        if c.state <> 'ready' then
            perform berth.converge_workers(c.id, 'scale to ' || scale_cluster.workers || ' workers');
        end if;
        return c.id;
    end if;
    if scale_cluster.workers > v_now then
        perform berth.check_cluster_quota(t, c.spec || pg_catalog.jsonb_build_object('workers', scale_cluster.workers - v_now),
            format('scaling cluster %s from %s to %s workers', berth.quote_input(c.name), v_now, scale_cluster.workers), true);
    end if;
    update berth.clusters x
       set spec = x.spec || pg_catalog.jsonb_build_object('workers', scale_cluster.workers), state = 'scaling', error = null,
           updated_at = pg_catalog.now()
     where x.id = c.id
    returning * into c;
    perform berth.add_event(c, null, 'state', null, format('scaling from %s to %s workers', v_now, scale_cluster.workers),
                            pg_catalog.jsonb_build_object('workers_from', v_now, 'workers', scale_cluster.workers));
    perform berth.converge_workers(c.id, 'scale to ' || scale_cluster.workers || ' workers');
    return c.id;
end $$;

-- ------------------------------------------------------------------ privileges

-- The worker set is internal, like berth.steps: tenants see events and `berth cluster show`.
revoke all on berth.cluster_workers, berth.cluster_worker_failures from public;
revoke all on function berth.converge_workers(pg_catalog.uuid, pg_catalog.text),
    berth.worker_stopped(pg_catalog.uuid, pg_catalog.text, pg_catalog.text), berth.cluster_workers_job_ended(),
    berth.resize_usage_period(pg_catalog.uuid, pg_catalog.int4, pg_catalog.timestamptz),
    berth.check_cluster_quota(berth.tenants, pg_catalog.jsonb, pg_catalog.text, pg_catalog.bool),
    berth.scale_cluster(pg_catalog.text, pg_catalog.text, pg_catalog.int4)
    from public;
grant execute on function berth.scale_cluster(pg_catalog.text, pg_catalog.text, pg_catalog.int4) to berth_client, berth_tenant;
