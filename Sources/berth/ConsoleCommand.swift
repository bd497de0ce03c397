import ArgumentParser
import Console
import Foundation
import Glibc
import HTTPServer
import Logging

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The web console: `berth console --listen HOST:PORT`, and its users.",
        subcommands: [ConsoleServeCommand.self, ConsoleUserCommand.self],
        defaultSubcommand: ConsoleServeCommand.self)
}

struct ConsoleServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web console until SIGTERM or SIGINT (the default: `berth console --listen …`).")

    @Option(help: ArgumentHelp("Where to listen (e.g. 127.0.0.1:8080; port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: "Database connections (and threads) for pages and live events (1-64).")
    var connections = 8

    @Option(help: "Live event streams open at once (1-10000).")
    var maxStreams = 64

    @Flag(help: "Mark cookies Secure (set it when the console is behind HTTPS).")
    var secureCookies = false

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() throws {
        let address = try ListenAddress.option(listen)
        guard (1...64).contains(connections) else { throw UsageError("--connections must be 1-64, got \(connections)") }
        guard (1...10_000).contains(maxStreams) else { throw UsageError("--max-streams must be 1-10000, got \(maxStreams)") }
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        var configuration = ConsoleConfiguration(database: try databaseOptions.database(needsDirect: true), host: address.host, port: address.port)
        configuration.connections = connections
        configuration.maxStreams = maxStreams
        configuration.secureCookies = secureCookies
        let logger = Logger(label: "berth.console")
        _ = try ConsoleServer.start(configuration, logger: logger)
        let stopped = DispatchSemaphore(value: 0)
        signals.start { _ in stopped.signal() }
        stopped.wait()
        logger.info("console stopped")
    }
}

struct ConsoleUserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Console users: add, delete, list.",
        subcommands: [Add.self, Delete.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a console user; the password is read from the terminal (asked twice) or from standard input, never from a flag.",
            discussion: "With --tenant the user sees and acts for that tenant only, through a tenant-scoped database role (berth_console_<tenant>) that the console takes for each of their requests. Without it, the user is an operator.")

        @Argument(help: "User name: 1-63 lowercase letters, digits, '.', '_' or '-'.")
        var name: String

        @Option(help: "Bind the user to this tenant.")
        var tenant: String?

        @Option(help: "libpq URI (default: $DATABASE_URL).")
        var databaseURL: String?

        func run() throws {
            let password = try PasswordPrompt.read(for: name)
            let hash: String
            do { hash = try PasswordHash.make(password) } catch let error as ConsoleError { throw UsageError(error.description) }
            do {
                try ConsoleUserStore(try Environment.connect(databaseURL)).add(name: name, tenant: tenant, passwordHash: hash)
            } catch let error as ConsoleError {
                throw UsageError(error.description)
            }
            if let tenant {
                Output.line("added console user \(name) for tenant \(tenant) (database role \(ConsoleUserStore.role(forTenant: tenant)))")
            } else {
                Output.line("added console user \(name) (operator: every tenant)")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a console user and end their sessions.")

        @Argument var name: String

        @Option(help: "libpq URI (default: $DATABASE_URL).")
        var databaseURL: String?

        func run() throws {
            guard try ConsoleUserStore(try Environment.connect(databaseURL)).delete(name: name) else {
                throw UsageError("there is no console user '\(name.prefix(64))'")
            }
            Output.line("deleted console user \(name)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List console users (never their passwords or sessions' tokens).")

        @Flag(help: "Print JSON.")
        var json = false

        @Option(help: "libpq URI (default: $DATABASE_URL).")
        var databaseURL: String?

        func run() throws {
            let users = try ConsoleUserStore(try Environment.connect(databaseURL)).list()
            if json {
                Output.json(users.map { ["name": $0.name, "tenant": $0.tenant as Any? ?? NSNull(), "sessions": $0.sessions,
                                         "created_at": ISO8601DateFormatter().string(from: $0.createdAt)] as [String: Any] })
                return
            }
            if users.isEmpty { Output.line("no console users"); return }
            for user in users {
                Output.line("\(user.name)  \(user.tenant.map { "tenant \($0)" } ?? "operator")  \(user.sessions) session(s)")
            }
        }
    }
}

/// Reads a new password: from the terminal with echo off, asked twice; else the first line of
/// standard input (for scripts: `printf '%s\n' "$pw" | berth console user add …`).
enum PasswordPrompt {
    static func read(for name: String) throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            let first = try prompt("Password for \(name): ")
            let second = try prompt("Again: ")
            guard first == second else { throw UsageError("the two passwords differ") }
            return first
        }
        guard let line = Swift.readLine(strippingNewline: true) else {
            throw UsageError("no password on standard input: give it as the first line (or run in a terminal to be asked)")
        }
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }

    private static func prompt(_ text: String) throws -> String {
        // Echo off before the prompt shows: what is typed after it is kept (TCSAFLUSH drops
        // only what was typed before).
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        FileHandle.standardError.write(Data(text.utf8))
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = Swift.readLine(strippingNewline: true) else { throw UsageError("no password given") }
        return line
    }
}
