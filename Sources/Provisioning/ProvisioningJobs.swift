import Queue

/// The job kinds of the Provisioning module, for a worker's handler table.
public enum ProvisioningJobs {
    public static func handlers(settings: ProvisioningSettings) -> [String: any JobHandler] {
        [
            ClusterCreateJob.kind: ClusterCreateJob(settings: settings),
            ClusterDeleteJob.kind: ClusterDeleteJob(settings: settings),
            NetworkJob.kind: NetworkJob(settings: settings),
            ClusterWorkersJob.kind: ClusterWorkersJob(settings: settings),
            TenantDeleteJob.kind: TenantDeleteJob(settings: settings),
            ClusterReconcileJob.kind: ClusterReconcileJob(settings: settings),
            SweepJob.kind: SweepJob(settings: settings),
        ]
    }
}
