import Foundation

/// `HOST:PORT` as given to `--http` and `--listen`: an IPv4 address or name, or an IPv6
/// address in brackets (`[::1]:9464`), and a port 0-65535 (0: any free port, printed at start).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Nil with a message that quotes the value and says what is allowed.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenError> {
        let shown = text.count > 60 ? "'\(text.prefix(59))…'" : "'\(text)'"
        let refusal = ListenError(message: "\(shown) is not a listen address: use HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464 (port 0-65535)")
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return .failure(refusal) }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return .failure(refusal) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:".contains($0) }),
              let port = Int(portText), (0...65535).contains(port), !portText.hasPrefix("+") else { return .failure(refusal) }
        return .success(ListenAddress(host: String(host), port: port))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
