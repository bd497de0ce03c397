-- Operators (issue 17): the web console's users and sessions, and indexes for the failed and
-- cancelled jobs that the console lists and the metrics count at scrape time, and for the
-- clusters list.

-- A console user is an operator (tenant null: every tenant, through the console's own
-- database role) or bound to one tenant: the console then acts for them as `db_role`, a role
-- granted that tenant with berth.grant_tenant, so row-level security decides what they see.
create table berth.console_users (
    id             bigint generated always as identity primary key,
    name           text not null unique check (name ~ '^[a-z][a-z0-9._-]{0,62}$'),
    tenant         text references berth.tenants (name) on delete cascade,
    db_role        text,
    -- pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>
    password_hash  text not null check (password_hash like 'pbkdf2-sha256$%'),
    created_at     timestamptz not null default now(),
    check ((tenant is null) = (db_role is null))
);

-- The cookie holds a random token; the table holds its SHA-256, so a copy of the table opens
-- no session.
create table berth.console_sessions (
    token_hash  bytea primary key check (length(token_hash) = 32),
    user_id     bigint not null references berth.console_users (id) on delete cascade,
    csrf_token  text not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null
);
create index console_sessions_user_idx on berth.console_sessions (user_id);
create index console_sessions_expiry_idx on berth.console_sessions (expires_at);

-- Neither table is for clients (nor readable by them: no grant, and the console reads them
-- as the owner before it takes a tenant's role).
revoke all on berth.console_users, berth.console_sessions from public;

-- Failed and cancelled jobs, newest first, and their counts by kind: a few rows among
-- millions of succeeded ones. Partial, so a job that succeeds writes no entry in it.
create index jobs_unsuccessful_idx on berth.jobs (state, id) include (kind, tenant)
    where state in ('failed', 'cancelled');

-- The clusters list, newest first (keyset paging on created_at, id).
create index clusters_created_idx on berth.clusters (created_at desc, id desc);
