-- Managed tenants share one network per region. AWS allows 5 VPCs and 5 internet gateways per
-- region and account by default, and every managed tenant runs in the service's account, so a
-- network per (tenant, region) refused the sixth managed tenant in a region. A VPC network (the
-- VPC, its subnets, internet gateway and route table) is now a row of its own:
--   'shared:<region>'       the one the managed tenants share, in the service's account;
--   '<tenant id>:<region>'  an own-account tenant's, in its account (and the networks of managed
--                           tenants made before this migration, which keep theirs).
-- Each cluster keeps its own security group in it (docs/security.md says what isolates them).
-- berth.networks stays per (tenant, region): the tenant's ECS cluster, log group and repository
-- there, and which VPC network its clusters use.
create table berth.vpc_networks (
    id          text primary key,
    region      text not null,
    -- The tenant whose network this is; null for the shared network, which is no one tenant's:
    -- removing a tenant (issue 16) must never delete it, only what the tenant has in it.
    tenant_id   uuid references berth.tenants (id),
    shared      boolean not null generated always as (tenant_id is null) stored,
    state       text not null default 'creating' check (state in ('creating', 'ready', 'error')),
    outputs     jsonb not null default '{}',
    error       text,
    -- The network job building it: one at a time, whichever tenant's job came first.
    active_job  bigint,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check (id = case when tenant_id is null then 'shared:' || region else tenant_id::text || ':' || region end)
);
create index vpc_networks_tenant_idx on berth.vpc_networks (tenant_id) where tenant_id is not null;

comment on table berth.vpc_networks is
    'A region''s VPC, subnets, internet gateway and route table. shared: used by every managed tenant in the service''s account, owned by none';
comment on column berth.vpc_networks.tenant_id is
    'The owner; null for the network managed tenants share, which removing a tenant must not delete';

alter table berth.networks add column vpc_network text references berth.vpc_networks (id);
comment on column berth.networks.vpc_network is
    'The VPC network this tenant''s clusters in the region use (berth.vpc_networks); set by its network job';

-- Networks made before: each keeps its own VPC (its clusters run there).
insert into berth.vpc_networks (id, region, tenant_id, state, outputs, error, created_at, updated_at)
select n.tenant_id::text || ':' || n.region, n.region, n.tenant_id, n.state,
       coalesce((select jsonb_object_agg(key, value) from jsonb_each(n.outputs)
                  where key in ('vpc_id', 'vpc_cidr', 'subnet_ids', 'zones', 'internet_gateway_id', 'route_table_id')), '{}'),
       n.error, n.created_at, n.updated_at
  from berth.networks n;
update berth.networks set vpc_network = tenant_id::text || ':' || region;
