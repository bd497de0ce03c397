import Foundation
import Glibc

/// A TCP forwarder on 127.0.0.1 that can be told to stop forwarding without closing anything:
/// what a half-open link looks like to a client (a frozen NAT entry, a dead middlebox). Its
/// kernel still accepts and acknowledges what the client sends; nothing goes through, in
/// either direction, until `resume()`. New connections are accepted and held the same way.
/// Its threads keep it alive until `stop()`.
public final class BlackholeProxy: @unchecked Sendable {
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var forwarding = true
    private var stopped = false
    private var sockets: [Int32] = []

    public init(targetPort: Int) throws {
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SetupError("socket: errno \(errno)") }
        var address = BlackholeProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw SetupError("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { self.acceptLoop() }
        thread.name = "blackhole-accept"
        thread.start()
    }

    /// Stops forwarding; every connection stays open.
    public func blackhole() { set(forwarding: false) }

    /// Forwards again (what was held goes through).
    public func resume() { set(forwarding: true) }

    /// Closes the listener and every connection.
    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        let open = sockets
        sockets.removeAll()
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// `url` with its port pointed at this proxy.
    public func url(for url: String) -> String {
        var components = URLComponents(string: url)!
        components.port = port
        return components.string!
    }

    private func set(forwarding value: Bool) {
        lock.lock(); forwarding = value; lock.unlock()
    }

    private var state: (forwarding: Bool, stopped: Bool) {
        lock.lock(); defer { lock.unlock() }
        return (forwarding, stopped)
    }

    private func acceptLoop() {
        while !state.stopped {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = BlackholeProxy.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            lock.lock(); sockets += [client, upstream]; lock.unlock()
            let thread = Thread { self.pump(client, upstream) }
            thread.name = "blackhole-pump"
            thread.start()
        }
    }

    /// Copies both ways while forwarding; while not, reads nothing (so the kernel buffers fill
    /// and the peers see silence, not an error).
    private func pump(_ a: Int32, _ b: Int32) {
        defer { close(a); close(b) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let (forwarding, stopped) = state
            if stopped { return }
            guard forwarding else { usleep(10_000); continue }
            var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 50) >= 0 || errno == EINTR else { return }
            for (from, to) in [(0, b), (1, a)] where fds[from].revents != 0 {
                // Check again: a blackhole set during the poll must not let this read through.
                guard self.state.forwarding else { break }
                let n = read(fds[from].fd, &buffer, buffer.count)
                if n <= 0 { return }
                var sent = 0
                while sent < n {
                    // send, not write: a peer that hung up must not raise SIGPIPE in the test process.
                    let w = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                    if w <= 0 { return }
                    sent += w
                }
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
