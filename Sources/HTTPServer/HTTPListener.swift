import Foundation
import Hummingbird
import Logging
import NIOCore

/// Runs a Hummingbird application in the background of a process whose main thread does
/// other work (a worker's pool, a console's signal wait), and reports once its socket is bound.
public enum HTTPListener {
    /// Starts `responder` on `host:port` (port 0: any free port) and returns the bound port, or
    /// throws why it could not listen. Signals are the caller's: Hummingbird installs none.
    public static func run<Builder: HTTPResponderBuilder>(router: Builder, host: String, port: Int, name: String,
                                                           logger: Logger) throws -> Int where Builder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let start = StartSignal()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { channel in start.finish(.success(channel.localAddress?.port ?? port)) },
                              logger: logger)
        Task.detached {
            do {
                try await app.runService(gracefulShutdownSignals: [])
                start.finish(.failure(ListenError(message: "\(name) stopped")))
            } catch {
                start.finish(.failure(error))
            }
        }
        switch start.wait(timeout: 30) {
        case .success(let bound): return bound
        case .failure(let error): throw ListenError(message: "\(name): cannot listen on \(host):\(port): \(error)")
        case nil: throw ListenError(message: "\(name): not listening on \(host):\(port) after 30 s")
        }
    }
}

public struct ListenError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The first outcome of a start, waited for by a thread.
private final class StartSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<Int, Error>?

    func finish(_ result: Result<Int, Error>) {
        condition.lock()
        if outcome == nil { outcome = result }
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: Double) -> Result<Int, Error>? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while outcome == nil && condition.wait(until: deadline) {}
        return outcome
    }
}
