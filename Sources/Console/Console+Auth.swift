import Foundation
import Hummingbird
import Postgres

/// Signing in and out, sessions, and the checks every POST passes.
extension Console {
    static let sessionCookie = "berth_session"
    /// The sign-in form's CSRF token (there is no session yet): a cookie the form must match.
    static let loginCookie = "berth_login"

    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict)
    }

    func loginPage(_ request: Request, error: String? = nil, name: String = "", status: HTTPResponse.Status = .ok) async throws -> Response {
        let token = try Random.token()
        var response = pages.page("login", title: "Sign in", user: nil, status: status,
                                  ["csrf": token, "error": error ?? "", "name": name])
        response.setCookie(cookie(Self.loginCookie, token, maxAge: 3600))
        return response
    }

    func login(_ request: Request) async throws -> Response {
        var request = request
        let form = try await Self.form(&request)
        guard let expected = request.cookies[Self.loginCookie]?.value, let sent = form["csrf"], Random.constantTimeEqual(expected, sent) else {
            return try await loginPage(request, error: "The sign-in form had expired: try again.", status: .forbidden)
        }
        let name = String((form["name"] ?? "").prefix(64))
        let password = form["password"] ?? ""
        // The KDF runs on the console's threads, but not while holding a database connection.
        let stored = try await db.run(as: nil) { connection in try ConsoleUserStore(connection).login(name: name) }
        let matches = try await db.offload { PasswordHash.verify(password, against: stored?.hash ?? PasswordHash.decoy) }
        guard let stored, matches else {
            logger.notice("console sign-in refused", metadata: ["user": "\(name)"])
            return try await loginPage(request, error: "Wrong user name or password.", name: name, status: .unauthorized)
        }
        let token = try await db.run(as: nil) { connection in
            let store = ConsoleUserStore(connection)
            try store.purgeExpiredSessions()
            return try store.createSession(userId: stored.id)
        }
        logger.info("console sign-in", metadata: ["user": "\(name)"])
        var response = Response.redirect(to: "/", type: .normal)
        response.setCookie(cookie(Self.sessionCookie, token, maxAge: Int(ConsoleUserStore.sessionLifetime)))
        response.setCookie(cookie(Self.loginCookie, "", maxAge: 0))
        return response
    }

    func logout(_ request: Request, _ user: ConsoleUser) async throws -> Response {
        if let token = request.cookies[Self.sessionCookie]?.value {
            try await db.run(as: nil) { connection in try ConsoleUserStore(connection).endSession(token: token) }
        }
        var response = Response.redirect(to: "/login", type: .normal)
        response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    /// Runs `body` for the signed-in user, or sends the browser to sign in. A POST must come
    /// from the console's own pages: the form's CSRF token must be the session's, and an
    /// `Origin` header, when the browser sends one, must be the console's. Errors become pages.
    func signedIn(_ request: Request, post: Bool = false,
                  _ body: (ConsoleUser, [String: String]) async throws -> Response) async -> Response {
        var user: ConsoleUser?
        do {
            if let token = request.cookies[Self.sessionCookie]?.value {
                user = try await db.run(as: nil) { connection in try ConsoleUserStore(connection).session(token: token) }
            }
            guard let user else {
                if post { return pages.error(.forbidden, "Your session has ended: sign in again.", user: nil, back: "/login") }
                return .redirect(to: "/login", type: .normal)
            }
            var form: [String: String] = [:]
            if post {
                var request = request
                form = try await Self.form(&request)
                guard Self.sameOrigin(request), let sent = form["csrf"], Random.constantTimeEqual(sent, user.csrfToken) else {
                    return pages.error(.forbidden, "The form's security token did not match (an old page, or a request from another site): reload the page and try again.", user: user)
                }
            }
            return try await body(user, form)
        } catch let error as PageError {
            return pages.error(error.status, error.message, user: user)
        } catch let error as PostgresError where error.sqlState == "22023" || error.sqlState == "42501" || error.sqlState == "53400" {
            // The API functions' refusals are written to be shown (docs/security.md §6).
            return pages.error(error.sqlState == "42501" ? .forbidden : .badRequest, error.message, user: user)
        } catch {
            logger.error("console: request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return pages.error(.internalServerError, "The console could not answer this request; its log says why.", user: user)
        }
    }

    /// An `application/x-www-form-urlencoded` body (at most 64 KiB) as a map; a key given twice
    /// keeps its first value.
    static func form(_ request: inout Request) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw PageError(.unsupportedMediaType, "forms must be sent as application/x-www-form-urlencoded")
        }
        let body = try await request.collectBody(upTo: 64 * 1024)
        var form: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { continue }
            if form[key] == nil { form[key] = value }
        }
        return form
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// No `Origin` header (older browsers, curl), or one naming the host the request came to.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let url = URL(string: origin), let host = url.host, let authority = request.head.authority else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        return authority == host + port || authority == "[\(host)]" + port
    }
}
