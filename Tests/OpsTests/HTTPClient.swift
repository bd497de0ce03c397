import Foundation
import TestSupport

/// An HTTP answer as the tests look at it.
struct HTTPAnswer {
    var status: Int
    /// Header lines, names lowercased, in order (Set-Cookie may repeat).
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
    var setCookies: [String] { headers.filter { $0.name == "set-cookie" }.map(\.value) }
}

/// A browser-like client over curl (installed by scripts/install-deps): cookies kept by hand,
/// redirects not followed, so each test sees exactly what the server answered.
final class WebClient: @unchecked Sendable {
    let base: String
    var cookies: [String: String] = [:]

    init(port: Int) {
        base = "http://127.0.0.1:\(port)"
    }

    func get(_ path: String, headers: [String] = []) throws -> HTTPAnswer {
        try request(["-X", "GET"], path, headers: headers)
    }

    func post(_ path: String, form: [String: String], headers: [String] = []) throws -> HTTPAnswer {
        let body = form.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try request(["-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", body], path, headers: headers)
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private func request(_ arguments: [String], _ path: String, headers: [String]) throws -> HTTPAnswer {
        var args = ["-s", "-i", "--max-time", "30"] + arguments
        if !cookies.isEmpty { args += ["-H", "Cookie: " + cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")] }
        for header in headers { args += ["-H", header] }
        args.append(base + path)
        let (status, output) = try run("/usr/bin/curl", args)
        guard status == 0 else { throw SetupError("curl \(path) exited \(status): \(output)") }
        let answer = try Self.parse(output)
        for cookie in answer.setCookies {
            let pair = cookie.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[1].isEmpty || cookie.contains("Max-Age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }
        return answer
    }

    static func parse(_ raw: String) throws -> HTTPAnswer {
        guard let split = raw.range(of: "\r\n\r\n") else { throw SetupError("no HTTP header in: \(raw.prefix(300))") }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw SetupError("bad status line: \(lines.first ?? "")")
        }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPAnswer(status: status, headers: headers, body: String(raw[split.upperBound...]))
    }

    /// The value of the first `name="csrf"` field on a page.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }
}

/// Runs a program to completion; (exit status, standard output).
func run(_ path: String, _ arguments: [String], timeout: Double = 60) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe.closedOnExec()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    try poll(timeout: timeout, "\(path) to exit") { !process.isRunning }
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A long-running `berth` child that prints `address=HOST:PORT` once it listens (port 0 given).
func listeningPort(_ child: ChildProcess, marker: String, timeout: Double = 60) throws -> Int {
    let line = try poll(timeout: timeout, "\(marker) in the log", until: { $0 != nil }) { () -> String? in
        child.log.components(separatedBy: "\n").first { $0.contains(marker) && $0.contains("address=") }
    }!
    guard let address = line.components(separatedBy: "address=").last?.split(separator: " ").first,
          let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
        throw SetupError("no port in: \(line)")
    }
    return port
}
