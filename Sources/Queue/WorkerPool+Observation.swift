import Foundation

extension WorkerPool {
    /// Worker threads running a job right now (of `config.concurrency`).
    public var busySlots: Int {
        state.lock(); defer { state.unlock() }
        return busy
    }

    /// Handler connections lent out right now (of `config.handlerConnections`); the producer,
    /// completer and maintenance threads hold one connection each besides.
    public var handlerConnectionsInUse: Int { handlerPool.lentConnections }

    /// Whether a stop was requested (the pool is draining or has stopped).
    public var stopRequested: Bool { isStopping() }
}

extension WorkerPool {
    /// The job kinds this pool has handlers for.
    public var kinds: [String] { Array(handlers.keys) }
}
