import Foundation

/// What every backend's teardown starts with.
enum ClusterTeardown {
    /// A delete right after a create (a user who changes their mind, the cleanup after a
    /// failed create) finds the cluster's resources by tag, and EC2 describes may not show
    /// what was made moments ago (a "not found" for such an id does not mean it is gone). So
    /// the teardown first waits until the cluster's last create is `consistencyWindow` old;
    /// after that, what a describe misses is really gone. A cluster that ran for a while does
    /// not wait.
    static let settleStep = Step("delete.settle", .check) { ctx in
        if let last = ctx.lastCreateWritten {
            let age = Date().timeIntervalSince(last)
            if age < ctx.settings.consistencyWindow {
                return .wait(seconds: max(ctx.pollInterval, ctx.settings.consistencyWindow - age),
                             reason: "what the create made moments ago to show in describes")
            }
        }
        return .done([:])
    }
}
