-- Security: SECURITY DEFINER functions that a caller's temporary objects cannot hijack, clear
-- refusals that quote input safely, and tenant-scoped roles (row-level security plus grant
-- checks in the API functions). docs/security.md explains the rules; this file follows them.
--
-- Every function below that runs as the owner (the API functions, and every helper and trigger
-- they reach) sets `search_path = pg_catalog, berth, pg_temp`. Postgres searches the session's
-- temporary schema FIRST for tables and types unless the path names it, and any role may create
-- temporary objects: with pg_temp left out, a caller's `pg_temp.text` domain (whose CHECK calls
-- the caller's function) replaced `text` inside create_cluster and ran as the owner. Listed
-- last, pg_temp can only supply a name that pg_catalog and berth lack. Types are also
-- schema-qualified here, so no type name depends on the path at all. Function and operator
-- names are never looked up in pg_temp, listed or not (tested), and `berth` is writable by its
-- owner only, so calls into pg_catalog and berth stay unambiguous without OPERATOR(...) syntax.

-- ------------------------------------------------------------------ default privileges

-- A function the schema's owner creates from now on is not executable by PUBLIC until granted.
-- This must be the role-wide default: a per-schema (`in schema berth`) revoke cannot take away
-- PUBLIC's built-in EXECUTE (Postgres adds per-schema defaults to the global ones), so it would
-- do nothing. It applies to the functions this role creates in this database.
do $$
declare
    v_role pg_catalog.name;
begin
    for v_role in
        select distinct r from (values ((select n.nspowner::pg_catalog.regrole::pg_catalog.name
                                           from pg_catalog.pg_namespace n where n.nspname = 'berth')),
                                       (current_user::pg_catalog.name)) as v(r)
    loop
        execute pg_catalog.format('alter default privileges for role %I revoke execute on functions from public', v_role);
    end loop;
end $$;

-- ------------------------------------------------------------------ quoting input

-- How every message shows a value the caller gave: quoted like %L, control characters as
-- \uXXXX (a message can end up on a terminal), and at most 100 characters of it: a longer value
-- is its first 99 characters, an ellipsis, and its length, so a 1 MB name gives a short error.
create function berth.quote_input(p_value pg_catalog.text) returns pg_catalog.text
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_length pg_catalog.int4;
    v_shown pg_catalog.text;
begin
    if p_value is null then
        return 'NULL';
    end if;
    v_length := length(p_value);
    v_shown := case when v_length > 100 then left(p_value, 99) || '…' else p_value end;
    if v_shown ~ '[\x01-\x1f\x7f-\x9f]' then
        select string_agg(case when s.ch ~ '[\x01-\x1f\x7f-\x9f]' then '\u' || lpad(to_hex(ascii(s.ch)), 4, '0') else s.ch end,
                          '' order by s.i)
          into v_shown
          from regexp_split_to_table(v_shown, '') with ordinality as s(ch, i);
    end if;
    v_shown := '''' || replace(v_shown, '''', '''''') || '''';
    if v_length > 100 then
        v_shown := v_shown || ' (' || v_length || ' characters)';
    end if;
    return v_shown;
end $$;

-- A JSON value from a spec: a string as quote_input shows text (`"us-east-2 "` reads
-- 'us-east-2 '); numbers, booleans, arrays and objects as JSON, cut the same way when long.
create function berth.quote_input(p_value pg_catalog.jsonb) returns pg_catalog.text
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select case when jsonb_typeof(p_value) = 'string' then berth.quote_input(p_value #>> '{}')
                when length(p_value::pg_catalog.text) <= 100 then p_value::pg_catalog.text
                else berth.quote_input(p_value::pg_catalog.text) end
$$;

-- ------------------------------------------------------------------ spec validation

create or replace function berth.spec_error(p_message text) returns void
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    raise exception using errcode = '22023', message = p_message;
end $$;

-- A name the API takes (tenant, cluster): its rule, including the length limits, in the error.
create function berth.check_name(p_what pg_catalog.text, p_value pg_catalog.text, p_pattern pg_catalog.text,
                                 p_min pg_catalog.int4, p_max pg_catalog.int4, p_rule pg_catalog.text) returns void
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_length pg_catalog.int4 := length(p_value);
begin
    if p_value is null then
        perform berth.spec_error(format('%s is missing: use %s-%s %s', p_what, p_min, p_max, p_rule));
    end if;
    if v_length < p_min or v_length > p_max then
        -- quote_input names the length itself past 100 characters.
        perform berth.spec_error(format('%s %s%s is not allowed: use %s-%s %s', p_what, berth.quote_input(p_value),
            case when v_length = 1 then ' (1 character)' when v_length <= 100 then format(' (%s characters)', v_length) else '' end,
            p_min, p_max, p_rule));
    end if;
    if p_value !~ p_pattern then
        perform berth.spec_error(format('%s %s is not allowed: use %s-%s %s', p_what, berth.quote_input(p_value), p_min, p_max, p_rule));
    end if;
end $$;

create function berth.check_tenant_name(p_name pg_catalog.text) returns void
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select berth.check_name('tenant name', p_name, '^[a-z][a-z0-9-]*[a-z0-9]$', 2, 32,
        'lowercase letters, digits and dashes, starting with a letter and ending with a letter or digit')
$$;

create function berth.check_cluster_name(p_name pg_catalog.text) returns void
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select berth.check_name('cluster name', p_name, '^[a-z0-9][a-z0-9-]*$', 1, 63,
        'lowercase letters, digits and dashes, starting with a letter or digit')
$$;

-- A number in a spec: json number only; `p_integer` refuses fractions.
create or replace function berth.spec_number(p_spec jsonb, p_key text, p_min numeric, p_max numeric,
                                             p_integer boolean, p_default numeric) returns numeric
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v pg_catalog.numeric;
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return p_default;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'number' then
        perform berth.spec_error(format('%s must be a number, got %s (%s)', p_key, berth.quote_input(p_spec -> p_key),
            jsonb_typeof(p_spec -> p_key)));
    end if;
    v := (p_spec ->> p_key)::pg_catalog.numeric;
    if p_integer and v <> trunc(v) then
        perform berth.spec_error(format('%s must be a whole number, got %s', p_key, berth.quote_input(p_spec -> p_key)));
    end if;
    if v < p_min or v > p_max then
        perform berth.spec_error(format('%s must be between %s and %s, got %s', p_key, p_min, p_max, berth.quote_input(p_spec -> p_key)));
    end if;
    return v;
end $$;

create or replace function berth.spec_bool(p_spec jsonb, p_key text) returns boolean
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'boolean' then
        perform berth.spec_error(format('%s must be true or false, got %s (%s)', p_key, berth.quote_input(p_spec -> p_key),
            jsonb_typeof(p_spec -> p_key)));
    end if;
    return (p_spec ->> p_key)::pg_catalog.bool;
end $$;

create or replace function berth.spec_text(p_spec jsonb, p_key text, p_pattern text, p_allowed text) returns text
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
begin
    if not p_spec ? p_key or jsonb_typeof(p_spec -> p_key) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_spec -> p_key) <> 'string' then
        perform berth.spec_error(format('%s must be a string (%s), got %s (%s)', p_key, p_allowed, berth.quote_input(p_spec -> p_key),
            jsonb_typeof(p_spec -> p_key)));
    end if;
    if (p_spec ->> p_key) !~ p_pattern then
        perform berth.spec_error(format('%s must be %s, got %s', p_key, p_allowed, berth.quote_input(p_spec -> p_key)));
    end if;
    return p_spec ->> p_key;
end $$;

create or replace function berth.supported_regions() returns text[]
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select array['us-east-1', 'us-east-2', 'us-west-1', 'eu-central-1', 'eu-west-2']::pg_catalog.text[]
$$;

create or replace function berth.fargate_memory_ok(p_cpu numeric, p_memory numeric) returns boolean
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
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

create or replace function berth.fargate_memory_allowed(p_cpu numeric) returns text
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
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

-- The canonical text of an IPv4 network (`10.0.0.0/8`) that `p_text` denotes, or null when it
-- is no IPv4 address at all. A spec's CIDR must equal it: Postgres reads `010.0.0.0/8`,
-- `10.0.0.1/8` and `10/8` too, and AWS refuses them later, in the middle of a create.
create function berth.normal_ipv4_cidr(p_text pg_catalog.text) returns pg_catalog.text
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v pg_catalog.inet;
begin
    v := p_text::pg_catalog.inet;
    if family(v) <> 4 then
        return null;
    end if;
    return network(v)::pg_catalog.text;
exception when invalid_text_representation then
    return null;
end $$;

-- A container image reference as the registry API defines it (github.com/distribution/reference):
-- [host[:port]/]path[:tag][@digest], path components lowercase alphanumerics joined by `.`,
-- `_`, `__` or dashes, a tag of at most 128 word characters, dots and dashes, a digest
-- `algorithm:hex` (32 hex digits or more). At most 255 characters, ECS's limit for an image.
create function berth.is_image_reference(p_image pg_catalog.text) returns pg_catalog.bool
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select length(p_image) <= 255 and p_image ~ (
        '^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*'
        || '(?::[0-9]+)?/|\[[a-fA-F0-9:]+\](?::[0-9]+)?/)?'                                  -- host[:port]/
        || '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*' -- path
        || '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?'                                          -- :tag
        || '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$')    -- @digest
$$;

drop function berth.is_ipv4_cidr(text);

-- Checks a requested spec and fills in defaults: the request, then the tenant's defaults, then
-- the system's. Raises 22023 with what is allowed; returns the complete spec.
create or replace function berth.resolve_spec(p_tenant berth.tenants, p_spec jsonb) returns jsonb
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_allowed constant pg_catalog.text[] := array['backend', 'region', 'fargate_spot', 'spot', 'workers', 'worker_cpu',
        'scheduler_cpu', 'worker_memory', 'scheduler_memory', 'worker_gpus', 'worker_instance_type',
        'scheduler_instance_type', 'image', 'ingress_cidrs'];
    v_unknown pg_catalog.text[];
    v_backend pg_catalog.text;
    v_region pg_catalog.text;
    v_fargate_spot pg_catalog.bool;
    v_spot pg_catalog.bool;
    v_workers pg_catalog.numeric;
    v_gpus pg_catalog.numeric;
    v_worker_cpu pg_catalog.numeric;
    v_worker_memory pg_catalog.numeric;
    v_scheduler_cpu pg_catalog.numeric;
    v_scheduler_memory pg_catalog.numeric;
    v_worker_type pg_catalog.text;
    v_scheduler_type pg_catalog.text;
    v_image pg_catalog.text;
    v_cidrs pg_catalog.jsonb;
    v_cidr pg_catalog.jsonb;
    v_normal pg_catalog.text;
    v_type_pattern constant pg_catalog.text := '^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$';
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
        -- Keys are input too: each quoted and cut, and at most ten of them.
        perform berth.spec_error(format('unknown spec key(s): %s%s; allowed keys: %s',
            (select string_agg(berth.quote_input(u.k), ', ' order by u.i) from unnest(v_unknown[1:10]) with ordinality as u(k, i)),
            case when cardinality(v_unknown) > 10 then format(' and %s more', cardinality(v_unknown) - 10) else '' end,
            array_to_string(v_allowed, ', ')));
    end if;

    v_backend := coalesce(berth.spec_text(p_spec, 'backend', '^(ecs|vm)$', '"ecs" or "vm"'), p_tenant.default_backend, 'ecs');
    v_region := berth.spec_text(p_spec, 'region', '^.*$', 'a region name');
    if v_region is not null and v_region <> all (berth.supported_regions()) then
        perform berth.spec_error(format('region %s is not supported; supported regions: %s',
            berth.quote_input(v_region), array_to_string(berth.supported_regions(), ', ')));
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
       and (p_spec ->> 'worker_gpus')::pg_catalog.numeric > 1 then
        perform berth.spec_error(format('workers currently have access to a single GPU: worker_gpus must be 0 or 1, got %s',
            berth.quote_input(p_spec -> 'worker_gpus')));
    end if;
    v_gpus := berth.spec_number(p_spec, 'worker_gpus', 0, 1, true, 0);
    if v_gpus > 0 and v_backend = 'ecs' then
        perform berth.spec_error('GPU workers need the vm backend (Fargate has no GPUs): set "backend": "vm"');
    end if;
    if v_gpus > 0 and not p_tenant.gpu_access then
        perform berth.spec_error(format('tenant %s has no GPU access; ask the operator to grant it (berth tenant create --gpu-access)',
            berth.quote_input(p_tenant.name)));
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
            perform berth.spec_error(format('worker_cpu must be one of Fargate''s sizes 0.25, 0.5, 1, 2, 4, 8, 16 (vCPUs), got %s',
                berth.quote_input(p_spec -> 'worker_cpu')));
        end if;
        if v_scheduler_cpu not in (0.25, 0.5, 1, 2, 4, 8, 16) then
            perform berth.spec_error(format('scheduler_cpu must be one of Fargate''s sizes 0.25, 0.5, 1, 2, 4, 8, 16 (vCPUs), got %s',
                berth.quote_input(p_spec -> 'scheduler_cpu')));
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
        v_image := berth.spec_text(p_spec, 'image', '^.*$', 'a container image reference');
        if v_image is not null and not berth.is_image_reference(v_image) then
            perform berth.spec_error(format('image must be a container image reference [registry[:port]/]name[:tag][@digest] of at most 255 characters, '
                || 'the name in lowercase letters, digits and separators (. _ __ -) between slashes, such as "ghcr.io/dask/dask:2024.1.0"; got %s',
                berth.quote_input(v_image)));
        end if;
        v_image := coalesce(v_image, 'ghcr.io/dask/dask:latest');
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
            perform berth.spec_error(format('ingress_cidrs must be a list of IPv4 CIDRs such as ["203.0.113.0/24"], got %s (%s)',
                berth.quote_input(v_cidrs), jsonb_typeof(v_cidrs)));
        end if;
        if jsonb_array_length(v_cidrs) = 0 then
            perform berth.spec_error('ingress_cidrs must hold at least one CIDR; leave it out to allow the VPC only');
        end if;
        if jsonb_array_length(v_cidrs) > 20 then
            perform berth.spec_error(format('ingress_cidrs may hold at most 20 CIDRs, got %s', jsonb_array_length(v_cidrs)));
        end if;
        for v_cidr in select value from jsonb_array_elements(v_cidrs) loop
            v_normal := case when jsonb_typeof(v_cidr) = 'string' then berth.normal_ipv4_cidr(v_cidr #>> '{}') end;
            if v_normal is null then
                perform berth.spec_error(format('ingress_cidrs entries must be IPv4 CIDRs such as ''203.0.113.0/24'', got %s',
                    berth.quote_input(v_cidr)));
            end if;
            if v_normal <> (v_cidr #>> '{}') then
                perform berth.spec_error(format('ingress_cidrs entry %s is not a CIDR in canonical form (an explicit /prefix, '
                    || 'no host bits, no leading zeros): did you mean %s?', berth.quote_input(v_cidr), berth.quote_input(v_normal)));
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

-- ------------------------------------------------------------------ events, states, triggers

create or replace function berth.jobs_notify() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    perform pg_notify('berth_jobs', '');
    return null;
end $$;

create or replace function berth.events_notify() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    perform pg_notify('berth_events', '');
    return null;
end $$;

create or replace function berth.add_event(p_cluster berth.clusters, p_job bigint, p_type text, p_step text,
                                           p_message text, p_data jsonb default '{}') returns void
language sql set search_path = pg_catalog, berth, pg_temp as $$
    insert into berth.events (tenant, cluster_id, cluster_name, job_id, type, step, state, message, data)
    values (p_cluster.tenant, p_cluster.id, p_cluster.name, p_job, p_type, p_step, p_cluster.state, p_message,
            coalesce(p_data, '{}'::pg_catalog.jsonb))
$$;

-- Asks for a cluster to go away: marks it, stops a create in flight at its next step boundary
-- (a queued create ends at once), and enqueues the delete job (one per cluster). Idempotent.
create or replace function berth.request_cluster_delete(p_cluster_id uuid, p_reason text, p_keep_error boolean default false)
returns bigint language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
    v_job pg_catalog.int8;
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

create or replace function berth.cancel_job_quietly(p_job bigint) returns void
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    update berth.jobs
       set cancel_requested = true,
           state = case when state = 'queued' then 'cancelled' else state end,
           finished_at = case when state = 'queued' then now() else finished_at end,
           updated_at = now()
     where id = p_job and state in ('queued', 'running') and not cancel_requested;
    if found then
        perform pg_notify('berth_job_cancel', p_job::pg_catalog.text);
    end if;
end $$;

create or replace function berth.cluster_job_changed() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_cluster pg_catalog.uuid := (new.args ->> 'cluster_id')::pg_catalog.uuid;
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

create or replace function berth.cluster_delete_failed() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    update berth.clusters
       set state = 'error', error = 'delete failed: ' || coalesce(new.last_error, '?'), updated_at = now()
     where id = (new.args ->> 'cluster_id')::pg_catalog.uuid and state <> 'stopped'
    returning * into c;
    if found then
        perform berth.add_event(c, new.id, 'state', null, c.error);
    end if;
    return null;
end $$;

-- ------------------------------------------------------------------ tenant-scoped roles

-- The group role that berth.grant_tenant makes a role a member of: the same API functions and
-- read access as berth_client, but row-level security shows it only its granted tenants' rows.
do $$
begin
    create role berth_tenant nologin;
exception when duplicate_object then
    null;
end $$;

-- Which roles act for which tenants. `role` is the role's oid (regrole shows its name), so a
-- dropped role's grants never pass to a new role that happens to get the same name.
create table berth.tenant_grants (
    role        regrole not null,
    tenant      text not null references berth.tenants (name) on delete cascade,
    granted_at  timestamptz not null default now(),
    primary key (role, tenant)
);
create index tenant_grants_tenant_idx on berth.tenant_grants (tenant);

-- The role a SECURITY DEFINER function acts for. Inside one, current_user is the owner; the
-- caller is the role set with SET ROLE (a console that logs in once and sets a tenant's role
-- per request), else the login role. `role` can only name a role the login role is a member
-- of, and cannot be set inside a SECURITY DEFINER function.
create function berth.invoker() returns pg_catalog.name
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select coalesce(nullif(current_setting('role'), 'none'), session_user)::pg_catalog.name
$$;

-- True for roles that act for every tenant: berth_client, the schema's owner, and whoever has
-- their privileges (superusers included).
create function berth.acts_for_all_tenants(p_role pg_catalog.name) returns pg_catalog.bool
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select pg_has_role(p_role, 'berth_client', 'USAGE')
        or pg_has_role(p_role, (select n.nspowner from pg_catalog.pg_namespace n where n.nspname = 'berth'), 'USAGE')
$$;

-- The tenants a role is granted, directly or through a role whose privileges it has.
create function berth.tenants_granted_to(p_role pg_catalog.name) returns pg_catalog.text[]
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select coalesce(array_agg(distinct g.tenant order by g.tenant), '{}')
      from berth.tenant_grants g where pg_has_role(p_role, g.role, 'USAGE')
$$;

-- Raises 42501 unless the invoking role may act for `p_tenant`. Called by the API functions
-- before they look at the tenant, so a scoped role learns nothing about other tenants.
create function berth.check_tenant_access(p_tenant pg_catalog.text) returns void
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_role pg_catalog.name := berth.invoker();
    v_granted pg_catalog.text[];
begin
    if berth.acts_for_all_tenants(v_role) then
        return;
    end if;
    v_granted := berth.tenants_granted_to(v_role);
    if p_tenant = any (v_granted) then
        return;
    end if;
    raise exception using errcode = '42501',
        message = format('role %s may not act for tenant %s; %s', quote_ident(v_role), berth.quote_input(p_tenant),
            case when cardinality(v_granted) = 0 then 'it is granted no tenant'
                 else 'it may act for: ' || array_to_string(v_granted, ', ') end);
end $$;

-- For row-level security: the tenants the querying role (current_user) may see. Runs with the
-- caller's rights, and the policies call it once per query (an initplan), not once per row.
create function berth.visible_tenants() returns pg_catalog.text[]
language sql stable set search_path = pg_catalog, berth, pg_temp as $$
    select coalesce(array_agg(g.tenant), '{}') from berth.tenant_grants g where pg_has_role(g.role, 'USAGE')
$$;

-- Owner only (SECURITY INVOKER, executable by nobody else): lets `p_role` act for `p_tenant`
-- through the API functions and see that tenant's clusters, events and jobs. Idempotent.
create function berth.grant_tenant(role pg_catalog.name, tenant pg_catalog.text) returns void
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    r record;
begin
    select a.oid, a.rolname, a.rolsuper, a.rolbypassrls into r from pg_catalog.pg_roles a where a.rolname = grant_tenant.role;
    if not found then
        perform berth.spec_error(format('role %s does not exist: create it first (create role … login)', berth.quote_input(grant_tenant.role)));
    end if;
    if r.rolname in ('berth_client', 'berth_tenant') then
        perform berth.spec_error(format('role %s is one of Berth''s group roles; grant tenants to the roles that use them', quote_ident(r.rolname)));
    end if;
    if r.rolsuper or r.rolbypassrls or berth.acts_for_all_tenants(r.rolname) then
        perform berth.spec_error(format('role %s already acts for every tenant (superuser, BYPASSRLS, berth_client or the schema owner): '
            || 'a tenant grant would not limit it; use a role without those', quote_ident(r.rolname)));
    end if;
    perform berth.check_tenant_name(grant_tenant.tenant);
    if not exists (select 1 from berth.tenants t where t.name = grant_tenant.tenant) then
        perform berth.spec_error(format('unknown tenant %s', berth.quote_input(grant_tenant.tenant)));
    end if;
    -- Grants of roles dropped since then go (their oid no longer names a role).
    delete from berth.tenant_grants g where not exists (select 1 from pg_catalog.pg_roles a where a.oid = g.role);
    insert into berth.tenant_grants (role, tenant) values (r.oid::pg_catalog.regrole, grant_tenant.tenant)
    on conflict do nothing;
    if not pg_has_role(r.rolname, 'berth_tenant', 'MEMBER') then
        execute format('grant berth_tenant to %I', r.rolname);
    end if;
end $$;

-- Owner only: takes a grant back. A role left with no grant stops being a member of
-- berth_tenant, so it can no longer call the API or read Berth's tables at all. Idempotent.
create function berth.revoke_tenant(role pg_catalog.name, tenant pg_catalog.text) returns void
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_oid pg_catalog.oid;
begin
    select a.oid into v_oid from pg_catalog.pg_roles a where a.rolname = revoke_tenant.role;
    if not found then
        perform berth.spec_error(format('role %s does not exist', berth.quote_input(revoke_tenant.role)));
    end if;
    delete from berth.tenant_grants g where g.role = v_oid::pg_catalog.regrole and g.tenant = revoke_tenant.tenant;
    if not exists (select 1 from berth.tenant_grants g where g.role = v_oid::pg_catalog.regrole)
       and exists (select 1 from pg_catalog.pg_auth_members m
                    where m.member = v_oid and m.roleid = (select a.oid from pg_catalog.pg_roles a where a.rolname = 'berth_tenant')) then
        execute format('revoke berth_tenant from %I', revoke_tenant.role);
    end if;
end $$;

-- ------------------------------------------------------------------ the SQL API

create or replace function berth.create_cluster(tenant text, name text, spec jsonb default '{}') returns uuid
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants;
    c berth.clusters;
    v_spec pg_catalog.jsonb;
    v_job pg_catalog.int8;
    v_existing pg_catalog.text;
begin
    perform berth.check_tenant_name(create_cluster.tenant);
    perform berth.check_tenant_access(create_cluster.tenant);
    select * into t from berth.tenants where tenants.name = create_cluster.tenant;
    if not found then
        perform berth.spec_error(format('unknown tenant %s', berth.quote_input(create_cluster.tenant)));
    end if;
    perform berth.check_cluster_name(create_cluster.name);
    v_spec := berth.resolve_spec(t, spec);
    select state into v_existing from berth.clusters
     where tenant_id = t.id and clusters.name = create_cluster.name and state <> 'stopped';
    if found then
        perform berth.spec_error(format('tenant %s already has a cluster named %s (state %s): delete it first or pick another name',
            berth.quote_input(t.name), berth.quote_input(create_cluster.name), v_existing));
    end if;
    begin
        insert into berth.clusters (tenant_id, tenant, name, backend, region, spec)
        values (t.id, t.name, create_cluster.name, v_spec ->> 'backend', v_spec ->> 'region', v_spec)
        returning * into c;
    exception when unique_violation then
        perform berth.spec_error(format('tenant %s already has a cluster named %s: delete it first or pick another name',
            berth.quote_input(t.name), berth.quote_input(create_cluster.name)));
    end;
    insert into berth.jobs (kind, tenant, args, max_attempts)
    values ('cluster.create', t.name, jsonb_build_object('cluster_id', c.id), 25)
    returning id into v_job;
    update berth.clusters set create_job = v_job where id = c.id returning * into c;
    perform berth.add_event(c, v_job, 'state', null, 'cluster requested', jsonb_build_object('spec', v_spec));
    return c.id;
end $$;

create or replace function berth.delete_cluster(tenant text, name text) returns uuid
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_id pg_catalog.uuid;
begin
    perform berth.check_tenant_name(delete_cluster.tenant);
    perform berth.check_tenant_access(delete_cluster.tenant);
    if not exists (select 1 from berth.tenants where tenants.name = delete_cluster.tenant) then
        perform berth.spec_error(format('unknown tenant %s', berth.quote_input(delete_cluster.tenant)));
    end if;
    perform berth.check_cluster_name(delete_cluster.name);
    select id into v_id from berth.clusters
     where clusters.tenant = delete_cluster.tenant and clusters.name = delete_cluster.name and state <> 'stopped';
    if not found then
        perform berth.spec_error(format('tenant %s has no cluster named %s (stopped clusters are gone already)',
            berth.quote_input(delete_cluster.tenant), berth.quote_input(delete_cluster.name)));
    end if;
    perform berth.request_cluster_delete(v_id, 'delete requested');
    return v_id;
end $$;

-- Cancels a job of a tenant the caller may act for, as `berth jobs cancel` does: a queued job
-- ends `cancelled` now; a running one is asked to stop (cancel_requested) and sees it at its
-- next step boundary. Cancelling a cluster's create deletes the cluster (the trigger above).
-- Returns the job's state after the call. A job the caller may not act for is reported as
-- missing, so its existence does not leak.
create function berth.cancel_job(job pg_catalog.int8) returns pg_catalog.text
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    j record;
    v_state pg_catalog.text;
    v_all pg_catalog.bool;
begin
    v_all := berth.acts_for_all_tenants(berth.invoker());
    select jobs.id, jobs.tenant, jobs.state into j from berth.jobs
     where jobs.id = cancel_job.job
       and (v_all or jobs.tenant = any (berth.tenants_granted_to(berth.invoker())))
       for update;
    if not found then
        perform berth.spec_error(format('there is no job %s%s', coalesce(cancel_job.job::pg_catalog.text, 'NULL'),
            case when v_all then '' else ' among the jobs of the tenants this role may act for' end));
    end if;
    if j.state not in ('queued', 'running') then
        perform berth.spec_error(format('job %s is %s: only queued or running jobs can be cancelled', j.id, j.state));
    end if;
    update berth.jobs
       set state = case when state = 'queued' then 'cancelled' else state end,
           cancel_requested = true,
           finished_at = case when state = 'queued' then now() else finished_at end,
           updated_at = now()
     where id = j.id
    returning state into v_state;
    perform pg_notify('berth_job_cancel', j.id::pg_catalog.text);
    return v_state;
end $$;

-- ------------------------------------------------------------------ row-level security

-- berth_client sees every row; berth_tenant members see their granted tenants' rows. The schema
-- owner (migrations, `berth worker`, the CLI) bypasses row-level security as the tables' owner
-- (no FORCE), so the queue's claims, heartbeats, completions and rescues are planned and run
-- exactly as before. Only SELECT is granted to clients, so only SELECT policies exist.
alter table berth.clusters enable row level security;
alter table berth.events enable row level security;
alter table berth.jobs enable row level security;
alter table berth.tenant_grants enable row level security;

create policy clusters_all_tenants on berth.clusters for select to berth_client using (true);
create policy clusters_granted_tenants on berth.clusters for select to berth_tenant
    using (tenant = any ((select berth.visible_tenants())::text[]));
create policy events_all_tenants on berth.events for select to berth_client using (true);
create policy events_granted_tenants on berth.events for select to berth_tenant
    using (tenant = any ((select berth.visible_tenants())::text[]));
create policy jobs_all_tenants on berth.jobs for select to berth_client using (true);
create policy jobs_granted_tenants on berth.jobs for select to berth_tenant
    using (tenant = any ((select berth.visible_tenants())::text[]));
create policy tenant_grants_own on berth.tenant_grants for select to berth_tenant
    using (pg_has_role(role, 'USAGE'));

-- ------------------------------------------------------------------ privileges

revoke all on all functions in schema berth from public;
grant execute on function berth.cancel_job(pg_catalog.int8) to berth_client;

grant usage on schema berth to berth_tenant;
grant execute on function berth.create_cluster(text, text, jsonb), berth.delete_cluster(text, text),
    berth.cancel_job(pg_catalog.int8), berth.visible_tenants() to berth_tenant;
grant select on berth.clusters, berth.events, berth.tenant_grants to berth_tenant;
grant select (id, kind, tenant, state, attempt, max_attempts, run_at, last_error, created_at, finished_at)
    on berth.jobs to berth_tenant;
