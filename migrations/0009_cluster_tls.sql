-- Each cluster's own certificate authority and the certificates its Dask scheduler and
-- workers present (docs/security.md, "Scheduler TLS"). Made once, by the create job's `tls`
-- step, before anything of the cluster starts in AWS.
--
-- Certificates are public and stored in clear. The private keys (the authority's, the
-- scheduler's and the workers') are one JSON document sealed with AES-256-GCM under the master
-- key, as tenants' AWS secrets are: nonce | ciphertext | tag, associated data
-- `berth-cluster-tls:<cluster id>`, so a ciphertext copied onto another cluster's row does not
-- open; `keys_key_id` names the master key that sealed it.
--
-- One row per cluster, written with `on conflict do nothing` and read back: a step that runs
-- twice (a crash, a retry) gets the first attempt's authority, never a second one. The row goes
-- with the cluster's delete (the keys are useless once the cluster is gone).
create table berth.cluster_tls (
    cluster_id             uuid primary key references berth.clusters (id) on delete cascade,
    ca_certificate         text not null,
    scheduler_certificate  text not null,
    worker_certificate     text not null,
    keys_ciphertext        bytea not null,
    keys_key_id            text not null,
    created_at             timestamptz not null default now()
);

-- Only the owner reads it: no grant to berth_client or berth_tenant (ClientRoleTests).
revoke all on berth.cluster_tls from public;
