-- Offboarding (issue 16, item 1): berth.delete_tenant(name) and the tenant's lifecycle.
--
--   active ──delete_tenant──► deleting ──tenant.delete job──► deleted
--
-- From the call on the tenant takes no new cluster and no scale (the triggers below); every live
-- cluster is deleted as by berth.delete_cluster; then the `tenant.delete` job (TenantDeleteJob)
-- waits for those deletes, removes what the tenant has in AWS per region and its IAM roles, and
-- ends by destroying the sealed key and marking the row `deleted`. The row stays as a tombstone:
-- events, jobs and usage name the tenant, and a tenant-scoped role reads them by that name, so
-- the name is never reused (docs/tenants.md#offboarding).
--
-- Redefines no function of an earlier migration: new clusters and scales are refused by
-- triggers on berth.clusters, so berth.create_cluster, berth.scale_cluster and
-- berth.check_cluster_quota stay as their migrations define them.

alter table berth.tenants
    add column state pg_catalog.text not null default 'active' check (state in ('active', 'deleting', 'deleted')),
    -- The `tenant.delete` job; a second delete_tenant returns it.
    add column delete_job pg_catalog.int8,
    add column deleted_at pg_catalog.timestamptz,
    add check ((state = 'active') = (delete_job is null)),
    add check ((state = 'deleted') = (deleted_at is not null)),
    -- A deleted tenant's key is destroyed (the ciphertext and what named it).
    add check (state <> 'deleted' or secret_ciphertext is null);

comment on column berth.tenants.state is
    'active; deleting (berth.delete_tenant was called: no new clusters, its tenant.delete job runs); deleted (a tombstone: nothing left in AWS, key destroyed)';

-- Raises 22023 when the cluster's tenant is not active. For a new cluster the tenant's row is
-- read FOR KEY SHARE (the lock the cluster's foreign key takes anyway): that waits for a
-- berth.delete_tenant in flight (it holds the row FOR UPDATE) and then reads the row as
-- committed, so a create racing a delete_tenant either commits first (and delete_tenant, whose
-- next statement sees the cluster, deletes it) or is refused. A scale reads it without a lock:
-- delete_tenant takes each live cluster's row lock after the tenant's, so a scale racing it
-- either commits first (and the cluster is deleted all the same) or waits and finds the cluster
-- being deleted; locking the tenant there would take the two locks in the other order.
create function berth.refuse_if_tenant_leaving() returns trigger
language plpgsql set search_path = pg_catalog, berth, pg_temp as $$
declare
    t record;
begin
    if tg_op = 'INSERT' then
        select x.name, x.state, x.delete_job into t from berth.tenants x where x.id = new.tenant_id for key share;
    else
        select x.name, x.state, x.delete_job into t from berth.tenants x where x.id = new.tenant_id;
    end if;
    if t.state is distinct from 'active' then
        perform berth.spec_error(format('tenant %s is %s (berth tenant delete, job %s): it takes no new clusters and no scale',
            berth.quote_input(t.name), case when t.state = 'deleted' then 'deleted' else 'being deleted' end, t.delete_job));
    end if;
    return new;
end $$;

create trigger clusters_refuse_leaving_tenant before insert on berth.clusters
    for each row execute function berth.refuse_if_tenant_leaving();

-- A scale (issue 15) changes a live cluster's spec or moves it to `scaling`; a delete (desired
-- `deleted`) never does either, so teardowns pass.
create trigger clusters_refuse_leaving_tenant_scale before update of spec, state on berth.clusters
    for each row when (new.desired = 'running'
                       and (new.spec is distinct from old.spec or (new.state = 'scaling' and old.state is distinct from 'scaling')))
    execute function berth.refuse_if_tenant_leaving();

-- Operator only (executable by the schema's owner, like creating a tenant): starts offboarding
-- `name` and returns its `tenant.delete` job. Idempotent: on a tenant being deleted it returns
-- the same job while that job is queued or running; after that job failed (a cluster's delete
-- failed, AWS refused), a call starts a new one and asks again for the deletes of the clusters
-- still live. On a deleted tenant it raises 22023 saying when it was deleted.
create function berth.delete_tenant(name pg_catalog.text) returns pg_catalog.int8
language plpgsql security definer set search_path = pg_catalog, berth, pg_temp as $$
declare
    t berth.tenants;
    c record;
    v_job pg_catalog.int8;
    v_clusters pg_catalog.int4 := 0;
begin
    perform berth.check_tenant_name(delete_tenant.name);
    -- FOR UPDATE waits for creates in flight (their clusters' foreign keys hold the row FOR KEY
    -- SHARE); the statements below then see their clusters.
    select * into t from berth.tenants x where x.name = delete_tenant.name for update;
    if not found then
        perform berth.spec_error(format('unknown tenant %s', berth.quote_input(delete_tenant.name)));
    end if;
    if t.state = 'deleted' then
        perform berth.spec_error(format('tenant %s was deleted at %s (job %s): nothing of it is left in AWS; its events and usage stay readable',
            berth.quote_input(t.name), pg_catalog.to_char(t.deleted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'), t.delete_job));
    end if;
    if t.state = 'deleting' and exists (select from berth.jobs j where j.id = t.delete_job and j.state in ('queued', 'running')) then
        return t.delete_job;
    end if;
    v_job := berth.enqueue_job('tenant.delete', t.name, pg_catalog.jsonb_build_object('tenant_id', t.id), p_priority => 0,
                               p_max_attempts => 25, p_unique_key => 'tenant-delete:' || t.id);
    update berth.tenants x set state = 'deleting', delete_job = v_job, updated_at = now() where x.id = t.id;
    for c in select x.id from berth.clusters x where x.tenant_id = t.id and x.state <> 'stopped' order by x.created_at loop
        perform berth.request_cluster_delete(c.id, 'delete requested: tenant ' || t.name || ' is being deleted');
        v_clusters := v_clusters + 1;
    end loop;
    -- Network jobs in flight stop at their next step boundary; the tenant job waits for them.
    perform berth.request_job_cancel(j.id) from berth.jobs j
      where j.kind = 'network.ensure' and j.state in ('queued', 'running') and j.args ->> 'tenant_id' = t.id::pg_catalog.text;
    insert into berth.events (tenant, job_id, type, message, data)
    values (t.name, v_job, 'tenant.deleting',
            format('tenant %s is being deleted%s: no new clusters; %s live cluster%s to delete, then its networks, IAM roles and key',
                   t.name, case when t.state = 'deleting' then ' (again, after job ' || t.delete_job || ' ended)' else '' end,
                   v_clusters, case when v_clusters = 1 then '' else 's' end),
            pg_catalog.jsonb_build_object('clusters', v_clusters::pg_catalog.text));
    return v_job;
end $$;

revoke all on function berth.refuse_if_tenant_leaving(), berth.delete_tenant(pg_catalog.text) from public;
