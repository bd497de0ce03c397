-- Provisioning: tenants, clusters, step checkpoints, per-(tenant, region) networks, events,
-- and the SQL API (`berth.create_cluster`, `berth.delete_cluster`) that back offices call.

-- A tenant runs in the service's AWS account (`managed`) or its own (`own`, with a long-lived
-- access key whose secret is stored only as AES-256-GCM ciphertext; `secret_key_id` names the
-- master key that sealed it so keys can rotate).
create table berth.tenants (
    id                 uuid primary key default gen_random_uuid(),
    name               text not null unique check (name ~ '^[a-z][a-z0-9-]{0,30}[a-z0-9]$'),
    aws_mode           text not null default 'managed' check (aws_mode in ('managed', 'own')),
    access_key_id      text,
    secret_ciphertext  bytea,
    secret_key_id      text,
    aws_account_id     text,
    default_backend    text not null default 'ecs' check (default_backend in ('ecs', 'vm')),
    default_region     text,
    default_fargate_spot boolean,
    gpu_access         boolean not null default false,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    check ((access_key_id is null) = (secret_ciphertext is null)),
    check ((secret_ciphertext is null) = (secret_key_id is null))
);

create table berth.clusters (
    id                 uuid primary key default gen_random_uuid(),
    tenant_id          uuid not null references berth.tenants (id),
    tenant             text not null,
    name               text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    state              text not null default 'pending'
                       check (state in ('pending', 'starting', 'ready', 'stopping', 'stopped', 'error')),
    -- What the user wants: a delete (or a cancelled create) turns it to 'deleted', which a
    -- create in flight sees at its next step boundary.
    desired            text not null default 'running' check (desired in ('running', 'deleted')),
    error              text,
    backend            text not null check (backend in ('ecs', 'vm')),
    region             text not null,
    spec               jsonb not null,
    scheduler_address  text,
    scheduler_public_address text,
    -- The job that holds the cluster: at most one job works on a cluster at a time.
    active_job         bigint,
    -- A delete that cleans up after a failed create leaves the cluster in `error` (with the
    -- reason) rather than `stopped`; a user's delete clears this.
    keep_error         boolean not null default false,
    create_job         bigint,
    delete_job         bigint,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);

-- A name is unique per tenant among clusters that still exist.
create unique index clusters_live_name_idx on berth.clusters (tenant_id, name) where state <> 'stopped';
create index clusters_tenant_idx on berth.clusters (tenant, created_at desc);

-- Step checkpoints of every plan. `scope` names what the plan builds: `cluster:<id>`,
-- `network:<tenant id>:<region>` or `tenant:<tenant id>` (IAM is global). `intent` is written
-- before a create AWS cannot deduplicate; `done` with the step's outputs (resource ids).
create table berth.steps (
    scope         text not null,
    step          text not null,
    state         text not null check (state in ('intent', 'done')),
    generation    integer not null default 1,
    client_token  text,
    outputs       jsonb not null default '{}',
    job_id        bigint,
    waiting_since timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (scope, step)
);

-- Per (tenant, region): the shared network, built once by one job (unique key) while the
-- clusters that need it snooze.
create table berth.networks (
    tenant_id   uuid not null references berth.tenants (id),
    region      text not null,
    state       text not null default 'creating' check (state in ('creating', 'ready', 'error')),
    outputs     jsonb not null default '{}',
    error       text,
    job_id      bigint,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, region)
);

create table berth.events (
    id            bigint generated always as identity primary key,
    at            timestamptz not null default clock_timestamp(),
    tenant        text not null,
    cluster_id    uuid,
    cluster_name  text,
    job_id        bigint,
    type          text not null,
    step          text,
    state         text,
    message       text not null,
    data          jsonb not null default '{}'
);
create index events_cluster_idx on berth.events (cluster_id, id);
create index events_tenant_idx on berth.events (tenant, id);

-- Followers LISTEN and then read `id > last seen`; one NOTIFY per inserting statement.
create function berth.events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('berth_events', '');
    return null;
end $$;
create trigger events_notify after insert on berth.events
    for each statement execute function berth.events_notify();

-- ------------------------------------------------------------------ spec validation

create function berth.spec_error(p_message text) returns void language plpgsql as $$
begin
    raise exception using errcode = '22023', message = p_message;
end $$;

-- A number in a spec: json number only; `p_integer` refuses fractions.
create function berth.spec_number(p_spec jsonb, p_key text, p_min numeric, p_max numeric,
                                  p_integer boolean, p_default numeric) returns numeric
language plpgsql immutable as $$
declare
    v numeric;
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return p_default;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'number' then
        perform berth.spec_error(format('%s must be a number, got %s', p_key, p_spec -> p_key));
    end if;
    v := (p_spec ->> p_key)::numeric;
    if p_integer and v <> trunc(v) then
        perform berth.spec_error(format('%s must be a whole number, got %s', p_key, v));
    end if;
    if v < p_min or v > p_max then
        perform berth.spec_error(format('%s must be between %s and %s, got %s', p_key, p_min, p_max, v));
    end if;
    return v;
end $$;

create function berth.spec_bool(p_spec jsonb, p_key text) returns boolean
language plpgsql immutable as $$
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'boolean' then
        perform berth.spec_error(format('%s must be true or false, got %s', p_key, p_spec -> p_key));
    end if;
    return (p_spec ->> p_key)::boolean;
end $$;

create function berth.spec_text(p_spec jsonb, p_key text, p_pattern text, p_allowed text) returns text
language plpgsql immutable as $$
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'string' then
        perform berth.spec_error(format('%s must be a string (%s), got %s', p_key, p_allowed, p_spec -> p_key));
    end if;
    if (p_spec ->> p_key) !~ p_pattern then
        perform berth.spec_error(format('%s must be %s, got %s', p_key, p_allowed, p_spec -> p_key));
    end if;
    return p_spec ->> p_key;
end $$;

create function berth.supported_regions() returns text[] language sql immutable as $$
    select array['us-east-1', 'us-east-2', 'us-west-1', 'eu-central-1', 'eu-west-2']
$$;

-- Fargate's CPU/memory pairs (vCPU, GiB): memory range and step per CPU size.
create function berth.fargate_memory_ok(p_cpu numeric, p_memory numeric) returns boolean
language sql immutable as $$
    select case p_cpu
        when 0.25 then p_memory in (0.5, 1, 2)
        when 0.5  then p_memory between 1 and 4 and p_memory = trunc(p_memory)
        when 1    then p_memory between 2 and 8 and p_memory = trunc(p_memory)
        when 2    then p_memory between 4 and 16 and p_memory = trunc(p_memory)
        when 4    then p_memory between 8 and 30 and p_memory = trunc(p_memory)
        when 8    then p_memory between 16 and 60 and mod(p_memory, 4) = 0
        when 16   then p_memory between 32 and 120 and mod(p_memory, 8) = 0
        else false end
$$;

create function berth.fargate_memory_allowed(p_cpu numeric) returns text language sql immutable as $$
    select case p_cpu
        when 0.25 then '0.5, 1 or 2'
        when 0.5  then '1 to 4 in steps of 1'
        when 1    then '2 to 8 in steps of 1'
        when 2    then '4 to 16 in steps of 1'
        when 4    then '8 to 30 in steps of 1'
        when 8    then '16 to 60 in steps of 4'
        when 16   then '32 to 120 in steps of 8'
        else 'none' end
$$;

-- Checks a requested spec and fills in defaults: the request, then the tenant's defaults, then
-- the system's. Raises 22023 with what is allowed; returns the complete spec.
create function berth.resolve_spec(p_tenant berth.tenants, p_spec jsonb) returns jsonb
language plpgsql stable as $$
declare
    v_allowed constant text[] := array['backend', 'region', 'fargate_spot', 'spot', 'workers', 'worker_cpu',
        'scheduler_cpu', 'worker_memory', 'scheduler_memory', 'worker_gpus', 'worker_instance_type',
        'scheduler_instance_type', 'image', 'ingress_cidrs'];
    v_unknown text[];
    v_backend text;
    v_region text;
    v_fargate_spot boolean;
    v_spot boolean;
    v_workers numeric;
    v_gpus numeric;
    v_worker_cpu numeric;
    v_worker_memory numeric;
    v_scheduler_cpu numeric;
    v_scheduler_memory numeric;
    v_worker_type text;
    v_scheduler_type text;
    v_image text;
    v_cidrs jsonb;
    v_cidr jsonb;
    v_type_pattern constant text := '^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$';
begin
    if p_spec is null then
        p_spec := '{}';
    end if;
    if jsonb_typeof(p_spec) <> 'object' then
        perform berth.spec_error(format('spec must be a JSON object, got %s', jsonb_typeof(p_spec)));
    end if;
    select array_agg(k order by k) into v_unknown
      from jsonb_object_keys(p_spec) k where k <> all (v_allowed);
    if v_unknown is not null then
        perform berth.spec_error(format('unknown spec key(s): %s; allowed keys: %s',
            array_to_string(v_unknown, ', '), array_to_string(v_allowed, ', ')));
    end if;

    v_backend := coalesce(berth.spec_text(p_spec, 'backend', '^(ecs|vm)$', '"ecs" or "vm"'), p_tenant.default_backend, 'ecs');
    v_region := berth.spec_text(p_spec, 'region', '^.*$', 'a region name');
    if v_region is not null and v_region <> all (berth.supported_regions()) then
        perform berth.spec_error(format('region %s is not supported; supported regions: %s',
            v_region, array_to_string(berth.supported_regions(), ', ')));
    end if;
    v_region := coalesce(v_region, p_tenant.default_region, 'us-east-2');

    v_fargate_spot := berth.spec_bool(p_spec, 'fargate_spot');
    if v_fargate_spot and v_backend = 'vm' then
        perform berth.spec_error('fargate_spot applies to the ecs backend only; for spot VM workers use "spot": true');
    end if;
    v_spot := berth.spec_bool(p_spec, 'spot');
    if v_spot and v_backend = 'ecs' then
        perform berth.spec_error('spot applies to the vm backend only; for spot Fargate workers use "fargate_spot": true');
    end if;
    if v_backend = 'ecs' then
        v_fargate_spot := coalesce(v_fargate_spot, p_tenant.default_fargate_spot, false);
    end if;

    v_workers := berth.spec_number(p_spec, 'workers', 0, 100, true, 2);

    if p_spec ? 'worker_gpus' and jsonb_typeof(p_spec -> 'worker_gpus') = 'number'
       and (p_spec ->> 'worker_gpus')::numeric > 1 then
        perform berth.spec_error(format('workers currently have access to a single GPU: worker_gpus must be 0 or 1, got %s',
            p_spec ->> 'worker_gpus'));
    end if;
    v_gpus := berth.spec_number(p_spec, 'worker_gpus', 0, 1, true, 0);
    if v_gpus > 0 and v_backend = 'ecs' then
        perform berth.spec_error('GPU workers need the vm backend (Fargate has no GPUs): set "backend": "vm"');
    end if;
    if v_gpus > 0 and not p_tenant.gpu_access then
        perform berth.spec_error(format('tenant %s has no GPU access; ask the operator to grant it (berth tenant create --gpu-access)',
            p_tenant.name));
    end if;

    v_worker_type := berth.spec_text(p_spec, 'worker_instance_type', v_type_pattern, 'an EC2 instance type such as "m6i.xlarge"');
    v_scheduler_type := berth.spec_text(p_spec, 'scheduler_instance_type', v_type_pattern, 'an EC2 instance type such as "m6i.large"');
    if v_backend = 'ecs' and (v_worker_type is not null or v_scheduler_type is not null) then
        perform berth.spec_error('instance types apply to the vm backend only; on ecs size tasks with worker_cpu/worker_memory and scheduler_cpu/scheduler_memory');
    end if;

    if v_backend = 'ecs' then
        v_worker_cpu := berth.spec_number(p_spec, 'worker_cpu', 0.25, 16, false, 1);
        v_scheduler_cpu := berth.spec_number(p_spec, 'scheduler_cpu', 0.25, 16, false, 1);
        if v_worker_cpu not in (0.25, 0.5, 1, 2, 4, 8, 16) then
            perform berth.spec_error(format('worker_cpu must be one of Fargate''s sizes 0.25, 0.5, 1, 2, 4, 8, 16 (vCPUs), got %s', v_worker_cpu));
        end if;
        if v_scheduler_cpu not in (0.25, 0.5, 1, 2, 4, 8, 16) then
            perform berth.spec_error(format('scheduler_cpu must be one of Fargate''s sizes 0.25, 0.5, 1, 2, 4, 8, 16 (vCPUs), got %s', v_scheduler_cpu));
        end if;
        v_worker_memory := berth.spec_number(p_spec, 'worker_memory', 0.5, 120, false, greatest(2, v_worker_cpu * 4));
        v_scheduler_memory := berth.spec_number(p_spec, 'scheduler_memory', 0.5, 120, false, greatest(2, v_scheduler_cpu * 4));
        if v_worker_cpu = 0.25 and not p_spec ? 'worker_memory' then v_worker_memory := 1; end if;
        if v_scheduler_cpu = 0.25 and not p_spec ? 'scheduler_memory' then v_scheduler_memory := 1; end if;
        if not berth.fargate_memory_ok(v_worker_cpu, v_worker_memory) then
            perform berth.spec_error(format('Fargate does not offer %s vCPU with %s GiB (worker_cpu/worker_memory); with %s vCPU memory may be %s GiB',
                v_worker_cpu, v_worker_memory, v_worker_cpu, berth.fargate_memory_allowed(v_worker_cpu)));
        end if;
        if not berth.fargate_memory_ok(v_scheduler_cpu, v_scheduler_memory) then
            perform berth.spec_error(format('Fargate does not offer %s vCPU with %s GiB (scheduler_cpu/scheduler_memory); with %s vCPU memory may be %s GiB',
                v_scheduler_cpu, v_scheduler_memory, v_scheduler_cpu, berth.fargate_memory_allowed(v_scheduler_cpu)));
        end if;
        v_image := coalesce(berth.spec_text(p_spec, 'image', '^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$',
            'a container image reference such as "ghcr.io/dask/dask:latest"'), 'ghcr.io/dask/dask:latest');
    else
        -- VM sizes: used to pick an instance type when none is given.
        v_worker_cpu := berth.spec_number(p_spec, 'worker_cpu', 1, 192, true, case when v_gpus > 0 then 4 else 2 end);
        v_scheduler_cpu := berth.spec_number(p_spec, 'scheduler_cpu', 1, 192, true, 2);
        v_worker_memory := berth.spec_number(p_spec, 'worker_memory', 1, 1536, false, v_worker_cpu * 4);
        v_scheduler_memory := berth.spec_number(p_spec, 'scheduler_memory', 1, 1536, false, v_scheduler_cpu * 4);
        v_image := berth.spec_text(p_spec, 'image', '^ami-[0-9a-f]{8,17}$', 'an AMI id such as "ami-0123456789abcdef0"');
    end if;

    if p_spec ? 'ingress_cidrs' and jsonb_typeof(p_spec -> 'ingress_cidrs') <> 'null' then
        v_cidrs := p_spec -> 'ingress_cidrs';
        if jsonb_typeof(v_cidrs) <> 'array' then
            perform berth.spec_error(format('ingress_cidrs must be a list of IPv4 CIDRs such as ["203.0.113.0/24"], got %s', v_cidrs));
        end if;
        if jsonb_array_length(v_cidrs) = 0 then
            perform berth.spec_error('ingress_cidrs must hold at least one CIDR; leave it out to allow the VPC only');
        end if;
        if jsonb_array_length(v_cidrs) > 20 then
            perform berth.spec_error(format('ingress_cidrs may hold at most 20 CIDRs, got %s', jsonb_array_length(v_cidrs)));
        end if;
        for v_cidr in select value from jsonb_array_elements(v_cidrs) loop
            if jsonb_typeof(v_cidr) <> 'string'
               or (v_cidr #>> '{}') !~ '^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$'
               or not berth.is_ipv4_cidr(v_cidr #>> '{}') then
                perform berth.spec_error(format('ingress_cidrs entries must be IPv4 CIDRs such as "203.0.113.0/24", got %s', v_cidr));
            end if;
        end loop;
    end if;

    return jsonb_strip_nulls(jsonb_build_object(
        'backend', v_backend, 'region', v_region,
        'fargate_spot', case when v_backend = 'ecs' then v_fargate_spot end,
        'spot', case when v_backend = 'vm' then coalesce(v_spot, false) end,
        'workers', v_workers, 'worker_gpus', v_gpus,
        'worker_cpu', v_worker_cpu, 'worker_memory', v_worker_memory,
        'scheduler_cpu', v_scheduler_cpu, 'scheduler_memory', v_scheduler_memory,
        'worker_instance_type', v_worker_type, 'scheduler_instance_type', v_scheduler_type,
        'image', v_image, 'ingress_cidrs', v_cidrs));
end $$;

create function berth.is_ipv4_cidr(p_text text) returns boolean language plpgsql immutable as $$
begin
    return family(p_text::cidr) = 4;
exception when others then
    -- e.g. host bits set ("10.0.0.1/8") or an octet over 255.
    return false;
end $$;

-- ------------------------------------------------------------------ events and states

create function berth.add_event(p_cluster berth.clusters, p_job bigint, p_type text, p_step text,
                                p_message text, p_data jsonb default '{}') returns void
language sql as $$
    insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, step, state, message, data)
    values (p_cluster.tenant, p_cluster.id, p_cluster.name, p_job, p_type, p_step, p_cluster.state, p_message,
            coalesce(p_data, '{}'))
$$;

-- Asks for a cluster to go away: marks it, stops a create in flight at its next step boundary
-- (a queued create ends at once), and enqueues the delete job (one per cluster). Idempotent.
create function berth.request_cluster_delete(p_cluster_id uuid, p_reason text, p_keep_error boolean default false)
returns bigint language plpgsql as $$
declare
    c berth.clusters;
    v_job bigint;
begin
    select * into c from berth.clusters where id = p_cluster_id for update;
    if not found then
        return null;
    end if;
    if c.desired = 'deleted' and c.delete_job is not null
       and exists (select 1 from berth.jobs where id = c.delete_job and state in ('queued', 'running')) then
        if c.keep_error and not p_keep_error then
            update berth.clusters set keep_error = false, state = 'stopping', updated_at = now() where id = c.id returning * into c;
            perform berth.add_event(c, c.delete_job, 'state', null, p_reason);
        end if;
        return c.delete_job;
    end if;
    if c.state = 'stopped' then
        return c.delete_job;
    end if;
    insert into berth.jobs (kind, tenant, args, priority, unique_key, max_attempts)
    values ('cluster.delete', c.tenant, jsonb_build_object('cluster_id', c.id), 0, 'cluster-delete:' || c.id, 25)
    on conflict (unique_key) where state in ('queued', 'running') do nothing
    returning id into v_job;
    if v_job is null then
        select id into v_job from berth.jobs where unique_key = 'cluster-delete:' || c.id and state in ('queued', 'running');
    end if;
    update berth.clusters
       set desired = 'deleted', delete_job = v_job, keep_error = p_keep_error,
           -- A cleanup after a failed create keeps `error` (and its reason) in view; a user's
           -- delete moves any cluster to `stopping`.
           state = case when p_keep_error then state else 'stopping' end,
           updated_at = now()
     where id = c.id
    returning * into c;
    perform berth.add_event(c, v_job, 'state', null, p_reason);
    -- A create in flight stops at its next step boundary; a queued one never starts.
    if c.create_job is not null then
        perform berth.cancel_job_quietly(c.create_job);
    end if;
    return v_job;
end $$;

create function berth.cancel_job_quietly(p_job bigint) returns void language plpgsql as $$
begin
    update berth.jobs
       set cancel_requested = true,
           state = case when state = 'queued' then 'cancelled' else state end,
           finished_at = case when state = 'queued' then now() else finished_at end,
           updated_at = now()
     where id = p_job and state in ('queued', 'running') and not cancel_requested;
    if found then
        perform pg_notify('berth_job_cancel', p_job::text);
    end if;
end $$;

-- `berth jobs cancel` on a create does what a delete does; a create that failed for good
-- (an error that retrying cannot fix, attempts used up, or rescued too often) puts its
-- cluster in `error` and cleans up what it made.
create function berth.cluster_job_changed() returns trigger language plpgsql as $$
declare
    v_cluster uuid := (new.args ->> 'cluster_id')::uuid;
    c berth.clusters;
begin
    if new.cancel_requested and not old.cancel_requested then
        perform berth.request_cluster_delete(v_cluster, 'create cancelled: deleting the cluster');
    elsif new.state = 'failed' and old.state <> 'failed' then
        update berth.clusters
           set state = 'error', error = coalesce(new.last_error, 'create failed'), updated_at = now()
         where id = v_cluster and state not in ('stopped', 'stopping')
        returning * into c;
        if found then
            perform berth.add_event(c, new.id, 'state', null, 'create failed: ' || c.error || '; cleaning up');
            perform berth.request_cluster_delete(v_cluster, 'cleaning up after the failed create', true);
        end if;
    end if;
    return null;
end $$;

create trigger jobs_cluster_create_changed after update of state, cancel_requested on berth.jobs
    for each row when (new.kind = 'cluster.create'
                       and ((new.cancel_requested and not old.cancel_requested)
                            or (new.state = 'failed' and old.state <> 'failed')))
    execute function berth.cluster_job_changed();

-- A delete that fails for good leaves the cluster in `error` with the reason (its resources
-- may remain; `berth cluster delete` again retries).
create function berth.cluster_delete_failed() returns trigger language plpgsql as $$
declare
    c berth.clusters;
begin
    update berth.clusters
       set state = 'error', error = 'delete failed: ' || coalesce(new.last_error, '?'), updated_at = now()
     where id = (new.args ->> 'cluster_id')::uuid and state <> 'stopped'
    returning * into c;
    if found then
        perform berth.add_event(c, new.id, 'state', null, c.error);
    end if;
    return null;
end $$;

create trigger jobs_cluster_delete_failed after update of state on berth.jobs
    for each row when (new.kind = 'cluster.delete' and new.state in ('failed', 'cancelled')
                       and old.state not in ('failed', 'cancelled'))
    execute function berth.cluster_delete_failed();

-- ------------------------------------------------------------------ the SQL API

create function berth.create_cluster(tenant text, name text, spec jsonb default '{}') returns uuid
language plpgsql security definer set search_path = pg_catalog, berth as $$
declare
    t berth.tenants;
    c berth.clusters;
    v_spec jsonb;
    v_job bigint;
    v_existing text;
begin
    select * into t from berth.tenants where tenants.name = create_cluster.tenant;
    if not found then
        perform berth.spec_error(format('unknown tenant %L', create_cluster.tenant));
    end if;
    if create_cluster.name is null or create_cluster.name !~ '^[a-z0-9][a-z0-9-]{0,62}$' then
        perform berth.spec_error(format('cluster name %L is not allowed: use 1-63 lowercase letters, digits and dashes, starting with a letter or digit',
            create_cluster.name));
    end if;
    v_spec := berth.resolve_spec(t, spec);
    select state into v_existing from berth.clusters
     where tenant_id = t.id and clusters.name = create_cluster.name and state <> 'stopped';
    if found then
        perform berth.spec_error(format('tenant %s already has a cluster named %s (state %s): delete it first or pick another name',
            t.name, create_cluster.name, v_existing));
    end if;
    begin
        insert into berth.clusters (tenant_id, tenant, name, backend, region, spec)
        values (t.id, t.name, create_cluster.name, v_spec ->> 'backend', v_spec ->> 'region', v_spec)
        returning * into c;
    exception when unique_violation then
        perform berth.spec_error(format('tenant %s already has a cluster named %s: delete it first or pick another name',
            t.name, create_cluster.name));
    end;
    insert into berth.jobs (kind, tenant, args, max_attempts)
    values ('cluster.create', t.name, jsonb_build_object('cluster_id', c.id), 25)
    returning id into v_job;
    update berth.clusters set create_job = v_job where id = c.id returning * into c;
    perform berth.add_event(c, v_job, 'state', null, 'cluster requested', jsonb_build_object('spec', v_spec));
    return c.id;
end $$;

create function berth.delete_cluster(tenant text, name text) returns uuid
language plpgsql security definer set search_path = pg_catalog, berth as $$
declare
    v_id uuid;
begin
    if not exists (select 1 from berth.tenants where tenants.name = delete_cluster.tenant) then
        perform berth.spec_error(format('unknown tenant %L', delete_cluster.tenant));
    end if;
    select id into v_id from berth.clusters
     where clusters.tenant = delete_cluster.tenant and clusters.name = delete_cluster.name and state <> 'stopped';
    if not found then
        perform berth.spec_error(format('tenant %s has no cluster named %L (stopped clusters are gone already)',
            delete_cluster.tenant, delete_cluster.name));
    end if;
    perform berth.request_cluster_delete(v_id, 'delete requested');
    return v_id;
end $$;

-- ------------------------------------------------------------------ least privilege

-- Back-office callers get the API functions and read access to clusters, events and job
-- progress; nothing else (tenants hold encrypted secrets; queue internals stay private).
do $$
begin
    create role berth_client nologin;
exception when duplicate_object then
    null;
end $$;

revoke all on all functions in schema berth from public;
grant usage on schema berth to berth_client;
grant execute on function berth.create_cluster(text, text, jsonb), berth.delete_cluster(text, text) to berth_client;
grant select on berth.clusters, berth.events to berth_client;
grant select (id, kind, tenant, state, attempt, max_attempts, run_at, last_error, created_at, finished_at)
    on berth.jobs to berth_client;
