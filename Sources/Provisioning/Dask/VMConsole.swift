import Foundation

/// What a VM's console (EC2 GetConsoleOutput) says about its Dask process, read from the lines
/// its boot script writes (`VMUserData`): whether it answered `/health`, how many workers the
/// scheduler last counted, and whether Dask exited. Pure: the same text, the same reading.
public struct VMConsole: Sendable, Equatable {
    public var healthy = false
    /// The last count the scheduler wrote; nil before the first.
    public var workers: Int?
    /// The exit line, when Dask has exited.
    public var exited: String?
    /// Dask's exit status from the exit line (0: it closed itself, as an idle scheduler does).
    public var exitStatus: Int? {
        guard let exited else { return nil }
        return Int(exited.dropFirst(VMUserData.exitedPrefix.count).prefix { $0.isNumber || $0 == "-" })
    }
    /// Berth's last line (for a wait's reason), if any.
    public var lastLine: String?

    public init(output: String?, role: String) {
        for raw in (output ?? "").split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            // A console line may carry a prefix (a timestamp, cloud-init's); Berth's start with "berth: ".
            guard let start = line.range(of: "berth: ") else { continue }
            let text = String(line[start.lowerBound...])
            lastLine = text
            if text == VMUserData.healthyLine(role) {
                healthy = true
            } else if text.hasPrefix(VMUserData.workersPrefix), let count = Int(text.dropFirst(VMUserData.workersPrefix.count)) {
                workers = count
            } else if text.hasPrefix(VMUserData.exitedPrefix) {
                exited = text
            }
        }
    }
}
