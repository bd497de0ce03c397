-- Tenants for the long run (issue 16, items 2 to 4): quotas checked by berth.create_cluster,
-- usage metered from the clusters' state transitions (berth.usage_daily), and what retention
-- must keep. docs/tenants.md explains each; this file follows the rules of 0003 (every function
-- pins `search_path = pg_catalog, berth, pg_temp`, types are schema-qualified, nothing here is
-- executable by PUBLIC).

-- ------------------------------------------------------------------ sizes

-- EC2 instance types whose size Berth knows: the general-purpose types a VM cluster gets when
-- its spec names none (VMInstances.generalPurpose in Swift names the same list; DomainTests
-- checks that the two agree), the default GPU type, and common GPU types. Quotas and usage
-- count a VM's vCPUs from here. An operator may add rows for other types.
create table berth.instance_sizes (
    instance_type    text primary key check (instance_type ~ '^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$'),
    vcpus            numeric not null check (vcpus > 0),
    memory_gib       numeric not null check (memory_gib > 0),
    gpus             integer not null default 0 check (gpus >= 0),
    -- A VM worker or scheduler without an instance type gets the smallest of these that fits.
    general_purpose  boolean not null default false
);
insert into berth.instance_sizes (instance_type, vcpus, memory_gib, gpus, general_purpose) values
    ('m6i.large', 2, 8, 0, true), ('m6i.xlarge', 4, 16, 0, true), ('m6i.2xlarge', 8, 32, 0, true),
    ('m6i.4xlarge', 16, 64, 0, true), ('m6i.8xlarge', 32, 128, 0, true), ('m6i.12xlarge', 48, 192, 0, true),
    ('m6i.16xlarge', 64, 256, 0, true), ('m6i.24xlarge', 96, 384, 0, true), ('m6i.32xlarge', 128, 512, 0, true),
    ('g4dn.xlarge', 4, 16, 1, false), ('g4dn.2xlarge', 8, 32, 1, false), ('g4dn.4xlarge', 16, 64, 1, false),
    ('g4dn.8xlarge', 32, 128, 1, false), ('g4dn.16xlarge', 64, 256, 1, false),
    ('g5.xlarge', 4, 16, 1, false), ('g5.2xlarge', 8, 32, 1, false), ('g5.4xlarge', 16, 64, 1, false),
    ('g5.8xlarge', 32, 128, 1, false), ('g5.16xlarge', 64, 256, 1, false),
    ('g6.xlarge', 4, 16, 1, false), ('g6.2xlarge', 8, 32, 1, false), ('g6.4xlarge', 16, 64, 1, false);

-- The size of one instance of `p_type`: its row in berth.instance_sizes, else what EC2's naming
-- convention gives for sizes of `large` and up (`large` 2 vCPUs, `xlarge` 4, `<n>xlarge` 4n;
-- memory and GPUs then unknown: null). Null vCPUs for anything else (`micro`, `metal`, …).
create function berth.instance_size(p_type pg_catalog.text, out vcpus pg_catalog.numeric, out memory_gib pg_catalog.numeric,
                                    out gpus pg_catalog.int4)
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_n pg_catalog.text;
begin
    select s.vcpus, s.memory_gib, s.gpus into vcpus, memory_gib, gpus from berth.instance_sizes s where s.instance_type = p_type;
    if found then
        return;
    end if;
    if p_type ~ '\.large$' then
        vcpus := 2;
    elsif p_type ~ '\.[0-9]*xlarge$' then
        v_n := substring(p_type from '\.([0-9]*)xlarge$');
        vcpus := 4 * coalesce(nullif(v_n, '')::pg_catalog.numeric, 1);
    end if;
end $$;

-- What one worker and the scheduler of a resolved spec (berth.resolve_spec) are: on ecs the
-- Fargate task sizes of the spec; on vm the instance type the spec names, else the one the VM
-- plan picks (VMInstances: g4dn.xlarge for GPU workers, else the smallest general-purpose type
-- with at least the spec's vCPUs and memory), sized by berth.instance_size. worker_vcpus is
-- null when the named type's size is unknown; memory then falls back to the spec's.
create function berth.cluster_size(p_spec pg_catalog.jsonb, out worker_vcpus pg_catalog.numeric,
                                   out worker_memory_gib pg_catalog.numeric, out worker_gpus pg_catalog.int4,
                                   out scheduler_vcpus pg_catalog.numeric, out scheduler_memory_gib pg_catalog.numeric,
                                   out worker_type pg_catalog.text, out scheduler_type pg_catalog.text)
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_gpus pg_catalog.int4 := coalesce((p_spec ->> 'worker_gpus')::pg_catalog.numeric::pg_catalog.int4, 0);
    w record;
    s record;
begin
    if coalesce(p_spec ->> 'backend', 'ecs') = 'ecs' then
        worker_vcpus := (p_spec ->> 'worker_cpu')::pg_catalog.numeric;
        worker_memory_gib := (p_spec ->> 'worker_memory')::pg_catalog.numeric;
        worker_gpus := 0;
        scheduler_vcpus := (p_spec ->> 'scheduler_cpu')::pg_catalog.numeric;
        scheduler_memory_gib := (p_spec ->> 'scheduler_memory')::pg_catalog.numeric;
        return;
    end if;
    worker_type := coalesce(p_spec ->> 'worker_instance_type',
        case when v_gpus > 0 then 'g4dn.xlarge' end,
        (select i.instance_type from berth.instance_sizes i
          where i.general_purpose and i.vcpus >= (p_spec ->> 'worker_cpu')::pg_catalog.numeric
            and i.memory_gib >= (p_spec ->> 'worker_memory')::pg_catalog.numeric
          order by i.vcpus, i.memory_gib limit 1));
    scheduler_type := coalesce(p_spec ->> 'scheduler_instance_type',
        (select i.instance_type from berth.instance_sizes i
          where i.general_purpose and i.vcpus >= (p_spec ->> 'scheduler_cpu')::pg_catalog.numeric
            and i.memory_gib >= (p_spec ->> 'scheduler_memory')::pg_catalog.numeric
          order by i.vcpus, i.memory_gib limit 1));
    select * into w from berth.instance_size(worker_type);
    select * into s from berth.instance_size(scheduler_type);
    worker_vcpus := w.vcpus;
    worker_memory_gib := coalesce(w.memory_gib, (p_spec ->> 'worker_memory')::pg_catalog.numeric);
    worker_gpus := coalesce(w.gpus, v_gpus);
    scheduler_vcpus := s.vcpus;
    scheduler_memory_gib := coalesce(s.memory_gib, (p_spec ->> 'scheduler_memory')::pg_catalog.numeric);
end $$;

-- ------------------------------------------------------------------ quotas

-- Limits per tenant; null is unlimited. `berth tenant create` sets them from the operator's
-- config (quota-defaults), `berth tenant update` changes them.
alter table berth.tenants
    add column max_clusters integer check (max_clusters >= 0),
    add column max_workers integer check (max_workers >= 0),
    add column max_vcpus integer check (max_vcpus >= 0),
    add column max_gpu_workers integer check (max_gpu_workers >= 0),
    -- Written by every quota check: the update is the lock that puts checks of one tenant in
    -- a row (see berth.check_cluster_quota).
    add column quota_checked_at timestamptz;

-- What a tenant's live clusters hold: clusters not `stopped` whose delete nobody has asked for
-- (a delete frees its slot at once, though AWS may hold the resources until the teardown ends).
-- vCPUs are workers × a worker's vCPUs + the scheduler's; unknown sizes count 0 here.
create function berth.tenant_quota_use(p_tenant_id pg_catalog.uuid, out clusters pg_catalog.int8, out workers pg_catalog.int8,
                                       out vcpus pg_catalog.numeric, out gpu_workers pg_catalog.int8)
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select count(*),
           coalesce(sum((c.spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int8), 0),
           coalesce(sum((c.spec ->> 'workers')::pg_catalog.numeric * coalesce(z.worker_vcpus, 0) + coalesce(z.scheduler_vcpus, 0)), 0),
           coalesce(sum(case when z.worker_gpus > 0 then (c.spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int8 else 0 end), 0)
      from berth.clusters c cross join lateral berth.cluster_size(c.spec) z
     where c.tenant_id = p_tenant_id and c.state <> 'stopped' and c.desired = 'running'
$$;

-- Raises 53400 (configuration_limit_exceeded) when a new cluster of `p_spec` (a resolved spec)
-- would take tenant `p_tenant` over a limit, with the limit, the current use and what the
-- cluster asks for. Checks of one tenant run one at a time: the update of the tenant's row
-- waits for a concurrent check's transaction to end, and the count that follows (a statement
-- of its own, so with a fresh snapshot at READ COMMITTED) sees the cluster that one created.
-- At REPEATABLE READ or SERIALIZABLE the waiting update fails with 40001 instead: retry. A
-- tenant without limits takes no lock. berth.scale_cluster (a later issue) calls this with what
-- the new size adds.
create function berth.check_cluster_quota(p_tenant berth.tenants, p_spec pg_catalog.jsonb, p_what pg_catalog.text default 'this cluster')
returns void language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants := p_tenant;
    z record;
    u record;
    v_workers pg_catalog.int8 := coalesce((p_spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int8, 0);
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
    v_vcpus := v_workers * z.worker_vcpus + z.scheduler_vcpus;
    v_gpu_workers := case when z.worker_gpus > 0 then v_workers else 0 end;
    if t.max_clusters is not null and u.clusters + 1 > t.max_clusters then
        raise exception using errcode = '53400', message = format(
            'tenant %s is at its quota: max_clusters is %s and %s cluster%s live; %s would be one more%smax-clusters N)',
            berth.quote_input(t.name), t.max_clusters, u.clusters, case when u.clusters = 1 then ' is' else 's are' end, p_what, v_raise);
    end if;
    -- A cluster that adds nothing of a kind passes that limit, even where use is over it already
    -- (a limit lowered below what runs: live clusters keep running).
    if t.max_workers is not null and v_workers > 0 and u.workers + v_workers > t.max_workers then
        raise exception using errcode = '53400', message = format(
            'tenant %s would exceed its quota: max_workers is %s and its live clusters have %s worker%s; %s asks for %s%smax-workers N)',
            berth.quote_input(t.name), t.max_workers, u.workers, case when u.workers = 1 then '' else 's' end, p_what, v_workers, v_raise);
    end if;
    if t.max_gpu_workers is not null and v_gpu_workers > 0 and u.gpu_workers + v_gpu_workers > t.max_gpu_workers then
        raise exception using errcode = '53400', message = format(
            'tenant %s would exceed its quota: max_gpu_workers is %s and its live clusters have %s GPU worker%s; %s asks for %s%smax-gpu-workers N)',
            berth.quote_input(t.name), t.max_gpu_workers, u.gpu_workers, case when u.gpu_workers = 1 then '' else 's' end, p_what,
            v_gpu_workers, v_raise);
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
                || '%s needs %s (%s worker%s × %s + a scheduler of %s)%smax-vcpus N)',
                berth.quote_input(t.name), t.max_vcpus, trim_scale(u.vcpus), p_what, trim_scale(v_vcpus), v_workers,
                case when v_workers = 1 then '' else 's' end, trim_scale(z.worker_vcpus), trim_scale(z.scheduler_vcpus), v_raise);
        end if;
    end if;
end $$;

-- 0004's create_cluster with the quota check between the spec's check and the first write, so
-- a refused create writes nothing.
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
    perform berth.check_cluster_quota(t, v_spec);
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

-- ------------------------------------------------------------------ usage

-- Periods in which a cluster held resources in AWS, at one size: opened when the cluster leaves
-- `pending` (its create job starts making things), closed when it is `stopped` or its delete
-- job succeeds (a cleanup after a failed create ends in `error`, with nothing left in AWS).
-- A later resize (berth.scale_cluster) closes one period and opens the next. Sizes are copied
-- here so that usage never depends on rows retention prunes (events) or on a spec's meaning
-- changing later. Never pruned: one row per cluster and size.
create table berth.usage_periods (
    id                 bigint generated always as identity primary key,
    cluster_id         uuid not null references berth.clusters (id),
    tenant_id          uuid not null references berth.tenants (id),
    tenant             text not null,
    backend            text not null,
    -- The workers run on spot capacity (ecs: fargate_spot; vm: spot).
    spot               boolean not null,
    workers            integer not null check (workers >= 0),
    worker_vcpus       numeric,
    worker_memory_gib  numeric,
    worker_gpus        integer not null default 0,
    started_at         timestamptz not null,
    ended_at           timestamptz,
    check (ended_at is null or ended_at >= started_at)
);
create unique index usage_periods_open_idx on berth.usage_periods (cluster_id) where ended_at is null;
create index usage_periods_tenant_idx on berth.usage_periods (tenant, started_at);

-- Opens a period for cluster `c` at `p_at` at the size of its spec, unless one is open.
create function berth.open_usage_period(c berth.clusters, p_at pg_catalog.timestamptz) returns void
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    z record;
begin
    select * into z from berth.cluster_size(c.spec);
    insert into berth.usage_periods (cluster_id, tenant_id, tenant, backend, spot, workers, worker_vcpus, worker_memory_gib,
                                     worker_gpus, started_at)
    values (c.id, c.tenant_id, c.tenant, c.backend,
            coalesce((c.spec ->> 'fargate_spot')::pg_catalog.bool, (c.spec ->> 'spot')::pg_catalog.bool, false),
            coalesce((c.spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int4, 0), z.worker_vcpus, z.worker_memory_gib, coalesce(z.worker_gpus, 0), p_at)
    on conflict (cluster_id) where ended_at is null do nothing;
end $$;

create function berth.close_usage_period(p_cluster pg_catalog.uuid, p_at pg_catalog.timestamptz) returns void
language sql set search_path = pg_catalog, berth, pg_temp as $$
    update berth.usage_periods p set ended_at = greatest(p_at, p.started_at) where p.cluster_id = p_cluster and p.ended_at is null
$$;

create function berth.meter_cluster_state() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    if new.state = 'stopped' then
        perform berth.close_usage_period(new.id, clock_timestamp());
    elsif old.state = 'pending' and new.state in ('starting', 'ready') then
        perform berth.open_usage_period(new, clock_timestamp());
    end if;
    return null;
end $$;

create trigger clusters_meter_state after update of state on berth.clusters
    for each row when (old.state is distinct from new.state
                       and (new.state = 'stopped' or (old.state = 'pending' and new.state in ('starting', 'ready'))))
    execute function berth.meter_cluster_state();

create function berth.meter_cluster_deleted() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    perform berth.close_usage_period((new.args ->> 'cluster_id')::pg_catalog.uuid, clock_timestamp());
    return null;
end $$;

create trigger jobs_meter_cluster_deleted after update of state on berth.jobs
    for each row when (new.kind = 'cluster.delete' and new.state = 'succeeded' and old.state <> 'succeeded')
    execute function berth.meter_cluster_deleted();

-- Clusters from before this migration: their periods from their state events (the first
-- `starting`, the first `stopped`, else their delete job's success).
insert into berth.usage_periods (cluster_id, tenant_id, tenant, backend, spot, workers, worker_vcpus, worker_memory_gib,
                                 worker_gpus, started_at, ended_at)
select c.id, c.tenant_id, c.tenant, c.backend,
       coalesce((c.spec ->> 'fargate_spot')::pg_catalog.bool, (c.spec ->> 'spot')::pg_catalog.bool, false),
       coalesce((c.spec ->> 'workers')::pg_catalog.numeric::pg_catalog.int4, 0), z.worker_vcpus, z.worker_memory_gib, coalesce(z.worker_gpus, 0),
       b.started_at, greatest(b.started_at, coalesce(b.stopped_at, b.deleted_at))
  from berth.clusters c
 cross join lateral berth.cluster_size(c.spec) z
 cross join lateral (
    select (select min(e.at) from berth.events e where e.cluster_id = c.id and e.type = 'state' and e.state in ('starting', 'ready')) as started_at,
           (select min(e.at) from berth.events e where e.cluster_id = c.id and e.type = 'state' and e.state = 'stopped') as stopped_at,
           (select j.finished_at from berth.jobs j where j.id = c.delete_job and j.state = 'succeeded') as deleted_at) b
 where b.started_at is not null;

-- Usage per UTC day, tenant, backend and spot: clusters that held resources that day, and
-- hours of clusters, of worker vCPUs, of worker memory (GiB) and of worker GPUs. A period is
-- split at midnight UTC; one still open counts up to now(). Hours are exact (numeric seconds /
-- 3600). security_invoker: a caller sees the rows row-level security shows it in usage_periods.
create view berth.usage_daily with (security_invoker = true) as
select d.day::pg_catalog.date as day, p.tenant, p.backend, p.spot,
       count(distinct p.cluster_id) as clusters,
       sum(x.seconds) / 3600 as cluster_hours,
       sum(x.seconds * p.workers * p.worker_vcpus) / 3600 as worker_vcpu_hours,
       sum(x.seconds * p.workers * p.worker_memory_gib) / 3600 as worker_memory_gib_hours,
       sum(x.seconds * p.workers * p.worker_gpus) / 3600 as gpu_hours
  from berth.usage_periods p
 cross join lateral pg_catalog.generate_series(date_trunc('day', p.started_at at time zone 'UTC'),
                                               date_trunc('day', coalesce(p.ended_at, now()) at time zone 'UTC'),
                                               interval '1 day') as d(day)
 cross join lateral (select extract(epoch from least(coalesce(p.ended_at, now()), (d.day + interval '1 day') at time zone 'UTC')
                                              - greatest(p.started_at, d.day at time zone 'UTC')) as seconds) x
 where x.seconds > 0
 group by 1, 2, 3, 4;

comment on view berth.usage_daily is
    'Usage per UTC day, tenant, backend and spot, from berth.usage_periods (docs/tenants.md): cluster-hours, worker vCPU-, memory GiB- and GPU-hours';

-- ------------------------------------------------------------------ retention

-- Retention (the workers' maintenance) deletes finished jobs by age; a cluster's create and
-- delete jobs stay while the cluster row names them (its record shows them). The queue knows
-- nothing of clusters: this trigger skips those rows, and its WHEN clause makes other kinds pay
-- nothing.
create function berth.keep_cluster_jobs() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    if exists (select from berth.clusters c where c.create_job = old.id)
       or exists (select from berth.clusters c where c.delete_job = old.id) then
        return null;
    end if;
    return old;
end $$;

create trigger jobs_keep_cluster_jobs before delete on berth.jobs
    for each row when (old.kind in ('cluster.create', 'cluster.delete'))
    execute function berth.keep_cluster_jobs();

create index clusters_create_job_idx on berth.clusters (create_job) where create_job is not null;
create index clusters_delete_job_idx on berth.clusters (delete_job) where delete_job is not null;

-- ------------------------------------------------------------------ privileges

alter table berth.usage_periods enable row level security;
create policy usage_periods_all_tenants on berth.usage_periods for select to berth_client using (true);
create policy usage_periods_granted_tenants on berth.usage_periods for select to berth_tenant
    using (tenant = any ((select berth.visible_tenants())::text[]));

revoke all on berth.usage_periods, berth.usage_daily, berth.instance_sizes from public;
grant select on berth.usage_periods, berth.usage_daily, berth.instance_sizes to berth_client, berth_tenant;

revoke all on function berth.instance_size(pg_catalog.text), berth.cluster_size(pg_catalog.jsonb),
    berth.tenant_quota_use(pg_catalog.uuid), berth.check_cluster_quota(berth.tenants, pg_catalog.jsonb, pg_catalog.text),
    berth.open_usage_period(berth.clusters, pg_catalog.timestamptz), berth.close_usage_period(pg_catalog.uuid, pg_catalog.timestamptz),
    berth.meter_cluster_state(), berth.meter_cluster_deleted(), berth.keep_cluster_jobs()
    from public;
