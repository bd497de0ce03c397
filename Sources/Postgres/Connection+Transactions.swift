extension Connection {
    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try executeScript("begin", operation: "begin")
        do {
            let value = try body(self)
            try executeScript("commit", operation: "commit")
            return value
        } catch {
            if isConnected { try? executeScript("rollback", operation: "rollback") }
            throw error
        }
    }
}
