-- Day two (issue 15): a ready cluster can be resized (`scaling`) and, when replacements of its
-- stopped workers keep failing, be `degraded` while Berth keeps trying. Both are live states:
-- the cluster runs and bills, and its name stays taken. A cluster that stops by itself (idle,
-- or its lifetime reached) ends `stopped` with `stop_reason` saying why; `error` keeps its
-- meaning (something failed, `error` says what).
--
-- Added here once, before the scale and the reconcile work, so that neither redefines the
-- state check the other needs.
alter table berth.clusters drop constraint clusters_state_check;
alter table berth.clusters add constraint clusters_state_check
    check (state in ('pending', 'starting', 'ready', 'scaling', 'degraded', 'stopping', 'stopped', 'error'));

alter table berth.clusters add column stop_reason pg_catalog.text;

-- The workers a cluster has now (issue 15), one row per ECS task or EC2 instance, so that a
-- scale and the reconcile change one record instead of the create plan's step outputs. The
-- create plan, a scale and a replacement add rows as they launch (after the launch answers;
-- the launch's client token makes a retry find the same resource); the reconcile marks a row
-- `stopped` with AWS's reason when it sees the task or instance stopped; a scale down marks the
-- newest `stopping` before it stops them. `replaces` ties a replacement to the worker it
-- replaced. Internal: no tenant role reads it (tenants see events and `berth cluster show`).
create table berth.cluster_workers (
    cluster_id      pg_catalog.uuid not null references berth.clusters (id) on delete cascade,
    resource_id     pg_catalog.text not null,
    state           pg_catalog.text not null default 'running'
                    check (state in ('running', 'stopping', 'stopped')),
    launched_at     pg_catalog.timestamptz not null default pg_catalog.now(),
    stopped_at      pg_catalog.timestamptz,
    stopped_reason  pg_catalog.text,
    replaces        pg_catalog.text,
    primary key (cluster_id, resource_id)
);
create index cluster_workers_live_idx on berth.cluster_workers (cluster_id, launched_at desc) where state <> 'stopped';
