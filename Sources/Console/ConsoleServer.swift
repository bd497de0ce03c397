import Foundation
import HTTPServer
import HTTPTypes
import Hummingbird
import Logging
import Postgres
import NIOCore

/// What `berth console` runs with.
public struct ConsoleConfiguration: Sendable {
    /// Pages' statements go to `database.url`; the live events' LISTEN to `database.listenURL`.
    public var database: Database
    public var host: String
    public var port: Int
    /// Database connections (and threads) for pages and event streams' reads.
    public var connections = 8
    /// Mark cookies `Secure` (the console is behind HTTPS).
    public var secureCookies = false
    /// Event streams open at once; more are refused with 503.
    public var maxStreams = 64

    public init(database: Database, host: String, port: Int) {
        self.database = database
        self.host = host
        self.port = port
    }
}

/// `berth console`: the web console on Hummingbird. Pages are rendered on the server with
/// swift-mustache; a cluster's events stream live over server-sent events fed by LISTEN.
public final class ConsoleServer: Sendable {
    public let host: String
    public let port: Int

    private init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Starts listening and returns once the socket is bound.
    public static func start(_ configuration: ConsoleConfiguration, logger: Logger) throws -> ConsoleServer {
        let console = try Console(configuration, logger: logger)
        let router = Router()
        router.add(middleware: SecurityHeaders())
        console.addRoutes(to: router)
        let port = try HTTPListener.run(router: router, host: configuration.host, port: configuration.port, name: "console",
                                        logger: logger)
        console.hub.start()
        logger.info("console listening", metadata: ["address": "\(configuration.host):\(port)"])
        return ConsoleServer(host: configuration.host, port: port)
    }
}

/// Headers on every answer: no framing, no sniffing, scripts and styles from the console only,
/// nothing cached (pages show live state and carry CSRF tokens).
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    static var fields: HTTPFields {
        var fields = HTTPFields()
        fields[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        fields[.cacheControl] = "no-store"
        return fields
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in Self.fields where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }
}

/// The console's state shared by its handlers.
final class Console: Sendable {
    let configuration: ConsoleConfiguration
    let db: ConsoleDatabase
    let hub: EventHub
    let pages: PageRenderer
    let logger: Logger
    let streams = StreamCount()

    init(_ configuration: ConsoleConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        db = ConsoleDatabase(database: configuration.database, connections: configuration.connections, logger: logger)
        hub = EventHub(database: configuration.database, logger: logger)
        pages = try PageRenderer()
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/static/console.css") { _, _ in Self.asset(StaticFiles.css, type: "text/css; charset=utf-8") }
        router.get("/static/console.js") { _, _ in Self.asset(StaticFiles.js, type: "text/javascript; charset=utf-8") }
        router.get("/login") { request, _ in try await self.loginPage(request) }
        router.post("/login") { request, _ in try await self.login(request) }
        router.post("/logout") { request, _ in await self.signedIn(request, post: true) { user, _ in try await self.logout(request, user) } }
        router.get("/") { request, _ in await self.signedIn(request) { user, _ in try await self.overview(user) } }
        router.get("/tenants") { request, _ in await self.signedIn(request) { user, _ in try await self.tenants(user) } }
        router.get("/clusters") { request, _ in await self.signedIn(request) { user, _ in try await self.clusters(request, user) } }
        router.get("/clusters/:id") { request, context in
            await self.signedIn(request) { user, _ in try await self.cluster(try Self.uuid(context), user) }
        }
        router.get("/clusters/:id/events") { request, context in
            await self.signedIn(request) { user, _ in try await self.clusterEvents(request, try Self.uuid(context), user) }
        }
        router.post("/clusters/:id/delete") { request, context in
            await self.signedIn(request, post: true) { user, _ in try await self.deleteCluster(try Self.uuid(context), user) }
        }
        router.get("/jobs") { request, _ in await self.signedIn(request) { user, _ in try await self.jobs(request, user) } }
        router.get("/jobs/:id") { request, context in
            await self.signedIn(request) { user, _ in try await self.job(try Self.jobID(context), user, notice: request.uri.queryParameters["done"].map(String.init)) }
        }
        router.post("/jobs/:id/cancel") { request, context in
            await self.signedIn(request, post: true) { user, _ in try await self.cancelJob(try Self.jobID(context), user) }
        }
        router.post("/jobs/:id/retry") { request, context in
            await self.signedIn(request, post: true) { user, _ in try await self.retryJob(try Self.jobID(context), user) }
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func uuid(_ context: BasicRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw PageError(.notFound, "there is no such cluster")
        }
        return id
    }

    static func jobID(_ context: BasicRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw PageError(.notFound, "there is no such job") }
        return id
    }
}

/// A page that cannot be shown, with the reason (shown to the user, escaped).
struct PageError: Error {
    var status: HTTPResponse.Status
    var message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Event streams open right now (bounded by `maxStreams`).
final class StreamCount: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0

    func acquire(max: Int) -> Bool {
        lock.withLock {
            guard open < max else { return false }
            open += 1
            return true
        }
    }

    func release() { lock.withLock { open -= 1 } }
}
