import Logging

extension Connection {
    /// Logs one line each time this connection is re-established (after a server restart, an
    /// idle connection the server closed, a statement the client gave up on). Failures to
    /// reconnect reach the caller as errors, which it logs with its retry delay.
    public func logReconnects(_ logger: Logger) {
        onReconnect = { connection in
            logger.info("reconnected to the database", metadata: [
                "connection": "\(connection.applicationName)", "backend_pid": "\(connection.backendPID)",
            ])
        }
    }
}
