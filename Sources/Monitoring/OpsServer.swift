import Foundation
import HTTPServer
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// The worker's HTTP endpoints, on Hummingbird: `/metrics` (Prometheus text format),
/// `/healthz` (the process is alive: answered by the event loop alone) and `/readyz` (the
/// database answers and the producer is claiming; 503 with the reason otherwise, and while
/// the worker drains). Blocking work (database reads) runs on a thread pool of its own.
public final class OpsServer: Sendable {
    /// The address it listens on (the port the system chose when asked for port 0).
    public let host: String
    public let port: Int

    /// What `/readyz` asks: ready or not, and why.
    public typealias Readiness = @Sendable () -> (ready: Bool, reason: String)

    private init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Starts listening and returns once the socket is bound, or throws why it could not be.
    public static func start(host: String, port: Int, exporter: MetricsExporter, readiness: @escaping Readiness,
                             logger: Logger) throws -> OpsServer {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let body = try await threads.runIfActive { exporter.scrape() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/healthz") { _, _ -> Response in
            HTTPText.response(.ok, "ok\n")
        }
        router.get("/readyz") { _, _ -> Response in
            let (ready, reason) = try await threads.runIfActive { readiness() }
            return HTTPText.response(ready ? .ok : .serviceUnavailable, (ready ? "ready: " : "not ready: ") + reason + "\n")
        }
        let bound = try HTTPListener.run(router: router, host: host, port: port, name: "worker --http", logger: logger)
        logger.info("worker http listening", metadata: ["address": "\(host):\(bound)", "paths": "/metrics /healthz /readyz"])
        return OpsServer(host: host, port: bound)
    }
}

/// Plain-text answers.
enum HTTPText {
    static func response(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
