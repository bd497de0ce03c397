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
