-- The image an ECS cluster runs when its spec names none: Dask's official image at a fixed
-- release and Python version instead of the floating `latest`, which would change under running
-- clusters and split a client's Python or Dask version from the cluster's. The Swift side names
-- the same tag in DaskImage.default (DaskImageTests checks that the two agree).
--
-- resolve_spec keeps every check it has; a wrapper replaces only the default it filled in, so
-- this migration does not restate (and fork) the whole function.

create function berth.default_dask_image() returns pg_catalog.text
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    select 'ghcr.io/dask/dask:2026.7.1-py3.12'::pg_catalog.text
$$;

alter function berth.resolve_spec(berth.tenants, jsonb) rename to resolve_spec_with_floating_image;

create function berth.resolve_spec(p_tenant berth.tenants, p_spec jsonb) returns jsonb
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_spec pg_catalog.jsonb := berth.resolve_spec_with_floating_image(p_tenant, p_spec);
begin
    if v_spec ->> 'backend' = 'ecs' and not coalesce(p_spec ? 'image', false) then
        v_spec := pg_catalog.jsonb_set(v_spec, '{image}', pg_catalog.to_jsonb(berth.default_dask_image()));
    end if;
    return v_spec;
end $$;

revoke all on function berth.default_dask_image(), berth.resolve_spec(berth.tenants, jsonb) from public;
