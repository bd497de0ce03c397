import HTTPServer

extension ListenAddress {
    /// Parses an option's value, or throws a usage error (exit 2) that quotes it.
    static func option(_ text: String) throws -> ListenAddress {
        switch ListenAddress.parse(text) {
        case .success(let address): return address
        case .failure(let error): throw UsageError(error.message)
        }
    }
}
