import Foundation
import Testing
import TestSupport

/// docker-compose.yml and the Dockerfiles it builds, checked without a Docker engine: the file
/// is parsed with PyYAML (python3 has it: moto depends on it) and compared with what Berth and
/// its scripts actually read, so the compose setup cannot drift from the code.
@Suite struct ComposeTests {
    static let berthServices = ["emulator", "migrate", "worker"]
    /// What the postgres image reads (its own documented variables; Berth never sees them).
    static let postgresImageVariables: Set<String> = ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
                                                      "POSTGRES_HOST_AUTH_METHOD", "POSTGRES_INITDB_ARGS", "PGDATA"]
    /// What the scripts export for `berth worker` (scripts/demo, scripts/test, the provisioning harness).
    static let workerVariables = ["DATABASE_URL", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BERTH_MASTER_KEY"]

    @Test func servicesAndCommands() throws {
        let compose = try Compose.load()
        for name in ["postgres", "emulator", "migrate", "worker"] {
            #expect(compose.services[name] != nil, "docker-compose.yml has no service \(name)")
        }
        let worker = try compose.service("worker")
        let workerCommand = try compose.command(of: "worker")
        #expect(Array(workerCommand.prefix(2)) == ["berth", "worker"], "worker runs \(workerCommand)")
        #expect(workerCommand.contains("--concurrency"))
        let migrateCommand = try compose.command(of: "migrate")
        #expect(Array(migrateCommand.prefix(2)) == ["berth", "migrate"], "migrate runs \(migrateCommand)")
        #expect(migrateCommand.count == 2 || migrateCommand.dropFirst(2).allSatisfy { $0.hasPrefix("-") })

        // Replicas: nothing that only one container can have.
        #expect(worker["container_name"] == nil)
        #expect(worker["ports"] == nil)

        // Order: postgres healthy → migrate done → workers; workers need the emulator up.
        #expect((try compose.service("postgres"))["healthcheck"] != nil)
        #expect(try compose.dependency("migrate", on: "postgres") == "service_healthy")
        #expect(try compose.dependency("worker", on: "migrate") == "service_completed_successfully")
        #expect(try compose.dependency("worker", on: "emulator") == "service_healthy")
        #expect((try compose.service("emulator"))["healthcheck"] != nil)
    }

    @Test func everyVariableIsOneBerthOrTheScriptsRead() throws {
        let compose = try Compose.load()
        let read = try CodeText.load()
        for name in Self.berthServices {
            for variable in try compose.environment(of: name).keys.sorted() {
                let known = read.mentions(variable)
                #expect(known, "service \(name) sets \(variable), which nothing in Sources/ or scripts/ reads")
            }
        }
        for variable in try compose.environment(of: "postgres").keys {
            #expect(Self.postgresImageVariables.contains(variable), "postgres sets \(variable), which the postgres image does not read")
        }
        // `${NAME:-default}` interpolations name variables of the user's shell: the same names.
        for name in compose.interpolatedVariables.sorted() {
            let known = read.mentions(name)
            #expect(known, "docker-compose.yml interpolates ${\(name)}, a name Berth does not use")
        }

        let worker = try compose.environment(of: "worker")
        for variable in Self.workerVariables {
            #expect(!(worker[variable] ?? "").isEmpty, "worker does not set \(variable)")
        }
        #expect(worker["DATABASE_URL"]?.contains("@postgres:") == true)
        #expect(worker["AWS_ENDPOINT_URL"]?.contains("emulator:") == true)
        let migrate = try compose.environment(of: "migrate")
        #expect(migrate["DATABASE_URL"] == worker["DATABASE_URL"])
    }

    @Test func emulatorPinsMotoLikeInstallDeps() throws {
        let compose = try Compose.load()
        let installDeps = try String(contentsOf: Project.root.appendingPathComponent("scripts/install-deps"), encoding: .utf8)
        let pinned = try #require(Self.motoPin(in: installDeps), "scripts/install-deps pins no moto[server] version")
        #expect(pinned == "5.2.1")
        let dockerfile = try compose.dockerfile(of: "emulator")
        #expect(Self.motoPin(in: dockerfile) == pinned, "the emulator image does not pin moto[server]==\(pinned)")
        let managedPolicies = try compose.environment(of: "emulator")["MOTO_IAM_LOAD_MANAGED_POLICIES"]
            ?? (dockerfile.contains("MOTO_IAM_LOAD_MANAGED_POLICIES=true") ? "true" : nil)
        #expect(managedPolicies == "true")
        // It runs our proxy in front of moto, reachable from the other containers.
        let command = try compose.command(of: "emulator").joined(separator: " ")
        #expect(command.contains("run-foreground") && command.contains("0.0.0.0"))
        let port = try #require(compose.environment(of: "worker")["AWS_ENDPOINT_URL"]?.split(separator: ":").last
            .map { String($0.prefix { $0.isNumber }) })
        #expect(command.contains("--port \(port)"))
    }

    @Test func berthImageCopiesTheMigrations() throws {
        let compose = try Compose.load()
        let dockerfile = try compose.dockerfile(of: "worker")
        #expect(try compose.dockerfile(of: "migrate") == dockerfile)
        let lines = dockerfile.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let copy = try #require(lines.first { $0.hasPrefix("COPY migrations ") }, "the Dockerfile does not copy migrations/")
        let destination = String(copy.dropFirst("COPY migrations ".count)).trimmingCharacters(in: .whitespaces)
        #expect(dockerfile.contains("BERTH_MIGRATIONS_DIR=\(destination)"), "BERTH_MIGRATIONS_DIR is not \(destination)")
        for library in ["libpq5", "libcurl4", "libssl3"] { #expect(dockerfile.contains(library)) }
        #expect(dockerfile.contains("--product berth"))
    }

    static func motoPin(in text: String) -> String? {
        guard let range = text.range(of: #"moto\[server\]==[0-9][0-9.]*"#, options: .regularExpression) else { return nil }
        return String(text[range].dropFirst("moto[server]==".count))
    }
}

/// docker-compose.yml as JSON, via PyYAML.
private struct Compose {
    let root: [String: Any]
    let text: String
    var services: [String: Any] { root["services"] as? [String: Any] ?? [:] }

    static func load() throws -> Compose {
        let path = Project.root.appendingPathComponent("docker-compose.yml").path
        let script = "import yaml, json, sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        let (status, output) = try spawnAndWait("/usr/bin/env", ["python3", "-c", script, path])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw SetupError("cannot parse docker-compose.yml with python3 + PyYAML (exit \(status)): \(output.prefix(2000))")
        }
        return Compose(root: object, text: try String(contentsOfFile: path, encoding: .utf8))
    }

    func service(_ name: String) throws -> [String: Any] {
        guard let service = services[name] as? [String: Any] else { throw SetupError("no service \(name)") }
        return service
    }

    /// The command as an argument list (a string is split on spaces, as Compose does for simple ones).
    func command(of name: String) throws -> [String] {
        let value = try service(name)["command"]
        if let list = value as? [String] { return list }
        if let string = value as? String { return string.split(separator: " ").map(String.init) }
        throw SetupError("service \(name) has no command")
    }

    /// `environment:` as a map (Compose also allows a list of NAME=value).
    func environment(of name: String) throws -> [String: String] {
        let value = try service(name)["environment"]
        if let map = value as? [String: Any] { return map.mapValues { "\($0)" } }
        if let list = value as? [String] {
            return Dictionary(list.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }) { $1 }
        }
        return [:]
    }

    func dependency(_ name: String, on other: String) throws -> String? {
        let value = try service(name)["depends_on"]
        if let list = value as? [String] { return list.contains(other) ? "service_started" : nil }
        guard let map = value as? [String: Any], let entry = map[other] else { return nil }
        return (entry as? [String: Any])?["condition"] as? String ?? "service_started"
    }

    /// The text of the Dockerfile the service builds from.
    func dockerfile(of name: String) throws -> String {
        let build = try service(name)["build"]
        let context: String, file: String
        if let path = build as? String {
            context = path; file = "Dockerfile"
        } else if let map = build as? [String: Any] {
            context = map["context"] as? String ?? "."
            file = map["dockerfile"] as? String ?? "Dockerfile"
        } else {
            throw SetupError("service \(name) is not built from a Dockerfile")
        }
        let url = Project.root.appendingPathComponent(context).appendingPathComponent(file)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Names in `${NAME}`, `${NAME:-x}`, `${NAME-x}`, `${NAME:?x}` anywhere in the file.
    var interpolatedVariables: Set<String> {
        let regex = try! NSRegularExpression(pattern: #"\$\{([A-Za-z_][A-Za-z0-9_]*)"#)
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).compactMap { Range($0.range(at: 1), in: text).map { String(text[$0]) } })
    }
}

/// Every text file under Sources/ and scripts/ (what "Berth or the scripts read" means here).
private struct CodeText {
    let text: String

    static func load() throws -> CodeText {
        var parts: [String] = []
        for folder in ["Sources", "scripts"] {
            let base = Project.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else {
                throw SetupError("cannot list \(base.path)")
            }
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                // Dockerfiles set variables rather than read them: they don't count as readers.
                if url.lastPathComponent == "Dockerfile" { continue }
                if let text = try? String(contentsOf: url, encoding: .utf8) { parts.append(text) }
            }
        }
        return CodeText(text: parts.joined(separator: "\n"))
    }

    /// The name as a whole word (AWS_ENDPOINT_URL does not count as AWS_ENDPOINT).
    func mentions(_ name: String) -> Bool {
        let pattern = "(?<![A-Za-z0-9_])" + NSRegularExpression.escapedPattern(for: name) + "(?![A-Za-z0-9_])"
        return text.range(of: pattern, options: .regularExpression) != nil
    }
}
