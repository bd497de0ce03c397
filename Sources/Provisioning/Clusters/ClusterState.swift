/// A cluster's state as users see it (docs/provisioning.md §3): `pending` → `starting` →
/// `ready`; `ready` → `scaling` → `ready` on a resize; `degraded` while replacements of stopped
/// workers keep failing; `stopping` → `stopped` (with a stop reason when it stopped by itself);
/// `error` with a reason.
public enum ClusterState: String, TextEnum {
    case pending, starting, ready, scaling, degraded, stopping, stopped, error
    public static let noun = "cluster state"
}

/// What the user wants of a cluster: `running` until `delete_cluster` (or a cancelled or
/// failed create) makes it `deleted`.
public enum DesiredState: String, TextEnum {
    case running, deleted
    public static let noun = "desired state"
}
