import Queue

/// The job kinds this binary runs.
enum JobKinds {
    static var all: [String: any JobHandler] {
        [NoopJob.kind: NoopJob()]
    }
}
