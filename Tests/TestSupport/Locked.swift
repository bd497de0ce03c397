import Foundation

/// A value shared between test threads.
public final class Locked<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    public init(_ value: T) { stored = value }
    public var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    public func mutate(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
