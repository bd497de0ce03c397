import Provisioning
import Queue

/// The job kinds this binary runs: the queue's `noop` and provisioning's kinds.
enum JobKinds {
    static func all(settings: ProvisioningSettings = .fromEnvironment()) -> [String: any JobHandler] {
        var handlers: [String: any JobHandler] = [NoopJob.kind: NoopJob()]
        handlers.merge(ProvisioningJobs.handlers(settings: settings)) { $1 }
        return handlers
    }
}
