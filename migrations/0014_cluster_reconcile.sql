-- The reconcile (issue 15): one recurring job per tenant and region watches that tenant's live
-- clusters there, and the spec keys idle_timeout and max_lifetime say when a cluster stops by
-- itself. docs/provisioning.md, "The reconcile".

-- ------------------------------------------------------------------ spec keys

-- A duration: `0` (off) or a whole number of seconds, minutes, hours or days (`10s`, `20m`,
-- `8h`, `2d`). Dask's --idle-timeout takes the same forms; Berth passes seconds.
create function berth.spec_duration(p_spec pg_catalog.jsonb, p_key pg_catalog.text) returns pg_catalog.text
language plpgsql immutable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v pg_catalog.text := berth.spec_text(p_spec, p_key, '^(0|[1-9][0-9]{0,5}[smhd])$',
        'a duration: 0 (off) or a whole number followed by s, m, h or d, like 10s, 20m or 8h');
begin
    return v;
end $$;

-- resolve_spec keeps every check it has: a wrapper takes the two new keys out before calling it
-- (as migration 0010 did for worker_role_arn), then stores them resolved: idle_timeout always
-- (default 20m, `0` off), max_lifetime only when set (default none).
alter function berth.resolve_spec(berth.tenants, pg_catalog.jsonb) rename to resolve_spec_without_stops;

create function berth.resolve_spec(p_tenant berth.tenants, p_spec pg_catalog.jsonb) returns pg_catalog.jsonb
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_idle pg_catalog.text;
    v_lifetime pg_catalog.text;
    v_spec pg_catalog.jsonb;
begin
    if p_spec is not null and pg_catalog.jsonb_typeof(p_spec) = 'object' then
        v_idle := berth.spec_duration(p_spec, 'idle_timeout');
        v_lifetime := berth.spec_duration(p_spec, 'max_lifetime');
        p_spec := p_spec - 'idle_timeout' - 'max_lifetime';
    end if;
    begin
        v_spec := berth.resolve_spec_without_stops(p_tenant, p_spec);
    exception when sqlstate '22023' then
        -- The inner function lists the keys it knows; this one knows two more.
        if sqlerrm like '%allowed keys: %' then
            perform berth.spec_error(sqlerrm || ', idle_timeout, max_lifetime');
        end if;
        raise;
    end;
    v_spec := pg_catalog.jsonb_set(v_spec, '{idle_timeout}', pg_catalog.to_jsonb(coalesce(v_idle, '20m')));
    if v_lifetime is not null and v_lifetime <> '0' then
        v_spec := pg_catalog.jsonb_set(v_spec, '{max_lifetime}', pg_catalog.to_jsonb(v_lifetime));
    end if;
    return v_spec;
end $$;

-- ------------------------------------------------------------------ the reconcile job

-- One row per tenant and region that has had a reconcile: which job runs it, the one that has
-- decided to end (so that a cluster made meanwhile waits for it to finish and starts the next),
-- and the last pass's figures (`berth status`, scripts/bench-provision).
create table berth.reconcilers (
    tenant_id      pg_catalog.uuid not null references berth.tenants (id) on delete cascade,
    region         pg_catalog.text not null,
    job_id         pg_catalog.int8,
    ending_job     pg_catalog.int8,
    passes         pg_catalog.int8 not null default 0,
    last_pass_at   pg_catalog.timestamptz,
    last_pass_ms   pg_catalog.float8,
    last_aws_calls pg_catalog.int4,
    -- The last pass's failure (an AWS error, credentials that do not open): the job keeps its
    -- interval and tries again; cleared by the next pass that works.
    last_error     pg_catalog.text,
    -- Of last_pass_ms, the time spent in the database.
    last_db_ms     pg_catalog.float8,
    primary key (tenant_id, region)
);

-- The states in which a cluster keeps its tenant and region's reconcile alive. `pending` and
-- `starting` count so that a reconcile never ends while a create is about to need it.
create function berth.cluster_is_live(p_state pg_catalog.text) returns pg_catalog.bool
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select p_state in ('pending', 'starting', 'ready', 'scaling', 'degraded')
$$;

-- Makes sure the tenant and region's reconcile job (kind p_kind) is queued or running: returns
-- its id, or null when the active one has decided to end (the caller looks again in a moment:
-- its job is about to finish, and the next call enqueues a fresh one). The row lock orders
-- this against berth.end_reconcile, so a cluster made while a reconcile ends is never left
-- without one.
create function berth.ensure_reconcile(p_tenant_id pg_catalog.uuid, p_region pg_catalog.text, p_kind pg_catalog.text)
returns pg_catalog.int8 language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    r berth.reconcilers;
    v_job pg_catalog.int8;
begin
    insert into berth.reconcilers (tenant_id, region) values (p_tenant_id, p_region) on conflict do nothing;
    select * into r from berth.reconcilers x where x.tenant_id = p_tenant_id and x.region = p_region for update;
    if r.ending_job is not null and exists (select from berth.jobs j where j.id = r.ending_job and j.state in ('queued', 'running')) then
        return null;
    end if;
    v_job := berth.enqueue_job(p_kind, (select t.name from berth.tenants t where t.id = p_tenant_id),
                               pg_catalog.jsonb_build_object('tenant_id', p_tenant_id, 'region', p_region),
                               p_priority => 1, p_max_attempts => 1000,
                               p_unique_key => 'reconcile:' || p_tenant_id::pg_catalog.text || ':' || p_region);
    update berth.reconcilers x set job_id = v_job, ending_job = null where x.tenant_id = p_tenant_id and x.region = p_region;
    return v_job;
end $$;

-- The reconcile job p_job (lease p_token) asks to end: true (and marked ending) when the tenant
-- has no live cluster in the region, false when it must go on. Fenced on the lease.
create function berth.end_reconcile(p_tenant_id pg_catalog.uuid, p_region pg_catalog.text, p_job pg_catalog.int8, p_token pg_catalog.uuid)
returns pg_catalog.bool language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
begin
    if not exists (select from berth.tenants t where t.id = p_tenant_id) then
        return true;  -- the tenant is gone, and its clusters with it
    end if;
    insert into berth.reconcilers (tenant_id, region) values (p_tenant_id, p_region) on conflict do nothing;
    perform from berth.reconcilers x where x.tenant_id = p_tenant_id and x.region = p_region for update;
    if not berth.job_holds_lease(p_job, p_token) then
        raise exception using errcode = '40001', message = 'the reconcile job lost its lease';
    end if;
    if exists (select from berth.clusters c where c.tenant_id = p_tenant_id and c.region = p_region and berth.cluster_is_live(c.state)) then
        update berth.reconcilers x set ending_job = null where x.tenant_id = p_tenant_id and x.region = p_region and x.ending_job = p_job;
        return false;
    end if;
    update berth.reconcilers x set ending_job = p_job where x.tenant_id = p_tenant_id and x.region = p_region;
    return true;
end $$;

-- ------------------------------------------------------------------ the reconcile's actions

-- The cluster a reconcile action is about, locked, while the user still wants it running and it
-- is watched (`ready`, `scaling`, `degraded`); null otherwise (a delete, an error or a stop got
-- there first, and the action is not taken).
create function berth.lock_watched_cluster(p_cluster pg_catalog.uuid) returns berth.clusters
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    select * into c from berth.clusters x where x.id = p_cluster for update;
    if not found or c.desired <> 'running' or c.state not in ('ready', 'scaling', 'degraded') then
        return null;
    end if;
    return c;
end $$;

-- A worker the reconcile saw stopped in AWS: an event quotes AWS's reason, and
-- berth.worker_stopped (migration 0013, the worker set's) marks its row `stopped` and asks for
-- the workers to be converged, which replaces it; all in one transaction: a crash before the
-- commit leaves the row `running` and the next pass does it again; after it, the row says
-- `stopped` and no pass repeats it. Only for a cluster the user still wants running and a row
-- still `running`. Returns whether it changed anything.
create function berth.reconcile_worker_stopped(p_cluster pg_catalog.uuid, p_resource pg_catalog.text, p_reason pg_catalog.text,
                                               p_job pg_catalog.int8)
returns pg_catalog.bool language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    c := berth.lock_watched_cluster(p_cluster);
    if c.id is null then
        return false;
    end if;
    perform from berth.cluster_workers w where w.cluster_id = p_cluster and w.resource_id = p_resource and w.state = 'running' for update;
    if not found then
        return false;
    end if;
    perform berth.add_event(c, p_job, 'worker.stopped', null,
        pg_catalog.format('worker %s stopped: %s', p_resource, p_reason),
        pg_catalog.jsonb_build_object('worker', p_resource, 'reason', p_reason));
    perform berth.worker_stopped(p_cluster, p_resource, p_reason);
    return true;
end $$;

-- The reconcile stops a cluster: p_error true puts it in `error` with p_reason and cleans it up
-- as a failed create is (keep_error); false deletes it as berth.delete_cluster does, and it
-- ends `stopped` with stop_reason p_reason (idle, lifetime). One event of type p_type. Only for
-- a live cluster the user still wants; idempotent.
create function berth.reconcile_stop_cluster(p_cluster pg_catalog.uuid, p_job pg_catalog.int8, p_type pg_catalog.text,
                                             p_reason pg_catalog.text, p_error pg_catalog.bool, p_data pg_catalog.jsonb)
returns pg_catalog.bool language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    c berth.clusters;
begin
    c := berth.lock_watched_cluster(p_cluster);
    if c.id is null then
        return false;
    end if;
    if p_error then
        update berth.clusters x set state = 'error', error = p_reason, updated_at = pg_catalog.now() where x.id = c.id returning * into c;
    else
        update berth.clusters x set stop_reason = p_reason, updated_at = pg_catalog.now() where x.id = c.id returning * into c;
    end if;
    perform berth.add_event(c, p_job, p_type, null, p_reason, coalesce(p_data, '{}'::pg_catalog.jsonb));
    perform berth.request_cluster_delete(c.id, case when p_error then 'cleaning up: ' else 'stopping: ' end || p_reason, p_error);
    return true;
end $$;

revoke all on function berth.spec_duration(pg_catalog.jsonb, pg_catalog.text),
    berth.resolve_spec(berth.tenants, pg_catalog.jsonb), berth.resolve_spec_without_stops(berth.tenants, pg_catalog.jsonb),
    berth.cluster_is_live(pg_catalog.text),
    berth.ensure_reconcile(pg_catalog.uuid, pg_catalog.text, pg_catalog.text),
    berth.end_reconcile(pg_catalog.uuid, pg_catalog.text, pg_catalog.int8, pg_catalog.uuid),
    berth.lock_watched_cluster(pg_catalog.uuid),
    berth.reconcile_worker_stopped(pg_catalog.uuid, pg_catalog.text, pg_catalog.text, pg_catalog.int8),
    berth.reconcile_stop_cluster(pg_catalog.uuid, pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.jsonb)
    from public;

-- Clusters that were live before this migration get their tenant and region's reconcile now
-- (afterwards the create job starts it).
select berth.ensure_reconcile(x.tenant_id, x.region, 'cluster.reconcile')
  from (select distinct c.tenant_id, c.region from berth.clusters c where berth.cluster_is_live(c.state)) x;
