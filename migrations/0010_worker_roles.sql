-- Worker roles (data access): the IAM role a cluster's Dask workers run with, so that they can
-- read the tenant's data (S3 and the like). A tenant may name a default
-- (`berth tenant create|update --worker-role-arn`), a cluster's spec may name its own
-- (`worker_role_arn`, over the tenant's); the resolved spec records the one the cluster uses,
-- so a later change of the tenant's default does not change a running cluster. Without one,
-- workers have no AWS identity.
--
-- A role can only be passed within its own account: where the tenant's account is known (an
-- own-account tenant after `berth tenant credentials`), the role's must be the same. For the
-- others (managed tenants, whose account is the service's; own-account tenants without a key
-- yet) the create job checks it against the key's account before it launches anything.
--
-- resolve_spec keeps every check it has: a wrapper takes the new key out before calling it (as
-- 0008 did), so this migration does not restate the function.

create function berth.is_worker_role_arn(p_arn pg_catalog.text) returns pg_catalog.bool
language sql immutable set search_path = pg_catalog, berth, pg_temp as $$
    -- arn:aws:iam::<account>:role/<path/><name>: IAM's path and name characters, name up to 64.
    select pg_catalog.length(p_arn) <= 600
       and p_arn ~ '^arn:aws:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/){0,20}[A-Za-z0-9+=,.@_-]{1,64}$'
$$;

alter table berth.tenants add column worker_role_arn pg_catalog.text
    check (worker_role_arn is null or berth.is_worker_role_arn(worker_role_arn));

-- Raises 22023 when the ARN is not a role ARN, or names another account than the tenant's known one.
create function berth.check_worker_role(p_tenant berth.tenants, p_arn pg_catalog.text, p_what pg_catalog.text) returns void
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
begin
    if not berth.is_worker_role_arn(p_arn) then
        perform berth.spec_error(pg_catalog.format('%s must be an IAM role ARN arn:aws:iam::<12-digit account>:role/<path/><name> '
            || '(the name up to 64 letters, digits and +=,.@_-), such as "arn:aws:iam::123456789012:role/berth-data-reader"; got %s',
            p_what, berth.quote_input(p_arn)));
    end if;
    if p_tenant.aws_account_id is not null and pg_catalog.split_part(p_arn, ':', 5) <> p_tenant.aws_account_id then
        perform berth.spec_error(pg_catalog.format('%s %s is in AWS account %s, but tenant %s runs in account %s: '
            || 'a role can only be passed within its own account', p_what, berth.quote_input(p_arn),
            pg_catalog.split_part(p_arn, ':', 5), berth.quote_input(p_tenant.name), p_tenant.aws_account_id));
    end if;
end $$;

alter function berth.resolve_spec(berth.tenants, jsonb) rename to resolve_spec_without_worker_role;

create function berth.resolve_spec(p_tenant berth.tenants, p_spec jsonb) returns jsonb
language plpgsql stable set search_path = pg_catalog, berth, pg_temp as $$
declare
    v_arn pg_catalog.text;
    v_spec pg_catalog.jsonb;
begin
    if p_spec is not null and pg_catalog.jsonb_typeof(p_spec) = 'object' and p_spec ? 'worker_role_arn' then
        v_arn := berth.spec_text(p_spec, 'worker_role_arn', '^.*$', 'an IAM role ARN');
        if v_arn is not null then
            perform berth.check_worker_role(p_tenant, v_arn, 'worker_role_arn');
        end if;
        p_spec := p_spec - 'worker_role_arn';
    end if;
    begin
        v_spec := berth.resolve_spec_without_worker_role(p_tenant, p_spec);
    exception when sqlstate '22023' then
        -- The inner function lists the keys it knows; this one knows one more.
        if sqlerrm like '%allowed keys: %' then
            perform berth.spec_error(sqlerrm || ', worker_role_arn');
        end if;
        raise;
    end;
    v_arn := coalesce(v_arn, p_tenant.worker_role_arn);
    if v_arn is not null then
        v_spec := pg_catalog.jsonb_set(v_spec, '{worker_role_arn}', pg_catalog.to_jsonb(v_arn));
    end if;
    return v_spec;
end $$;

revoke all on function berth.is_worker_role_arn(pg_catalog.text), berth.check_worker_role(berth.tenants, pg_catalog.text, pg_catalog.text),
    berth.resolve_spec(berth.tenants, jsonb) from public;
