/// A failure whose message was already shown in context: exit 1 with a short line.
struct ExitCodeError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { message }
}
