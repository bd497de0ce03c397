import Foundation

extension HTTPClient {
    /// The calling thread's client, created on first use and released when the
    /// thread exits. This is how "one curl handle per worker thread" is kept
    /// without threading a handle through every call.
    public static func forCurrentThread() -> HTTPClient {
        if let raw = pthread_getspecific(threadClientKey) {
            return Unmanaged<HTTPClient>.fromOpaque(raw).takeUnretainedValue()
        }
        let client = HTTPClient()
        pthread_setspecific(threadClientKey, Unmanaged.passRetained(client).toOpaque())
        return client
    }
}

private let threadClientKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
        guard let raw else { return }
        Unmanaged<HTTPClient>.fromOpaque(raw).release()
    }
    precondition(rc == 0, "pthread_key_create failed")
    return key
}()
