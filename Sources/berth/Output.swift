import Foundation
import Postgres
import Provisioning
import Queue

/// Printing helpers shared by the commands: JSON, aligned tables, timestamps.
enum Output {
    static func json(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }

    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }

    static func plain(_ value: Any) -> String {
        if let string = value as? String { return string }
        if value is [Any] || value is [String: Any] {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    static func jobObject(_ job: Job) -> [String: Any] {
        func json(_ text: JSONText?) -> Any { (try? text?.object()) ?? NSNull() }
        func opt(_ value: Any?) -> Any { value ?? NSNull() }
        return [
            "id": job.id, "kind": job.kind, "tenant": job.tenant, "args": json(job.args), "state": job.state.rawValue,
            "priority": job.priority, "run_at": time(job.runAt), "attempt": job.attempt, "max_attempts": job.maxAttempts,
            "snoozes": job.snoozes, "locked_by": opt(job.lockedBy), "locked_until": opt(job.lockedUntil.map(time)),
            "cancel_requested": job.cancelRequested, "errors": json(job.errors), "last_error": opt(job.lastError),
            "output": json(job.output), "unique_key": opt(job.uniqueKey), "created_at": opt(job.createdAt.map(time)),
            "updated_at": opt(job.updatedAt.map(time)), "attempted_at": opt(job.attemptedAt.map(time)),
            "finished_at": opt(job.finishedAt.map(time)),
        ]
    }

    static func jsonLine(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }

    static func tenantObject(_ t: Tenant) -> [String: Any] {
        func opt(_ value: Any?) -> Any { value ?? NSNull() }
        return ["id": t.id.uuidString.lowercased(), "name": t.name, "aws_mode": t.awsMode.rawValue, "access_key_id": opt(t.accessKeyId),
                "aws_account_id": opt(t.awsAccountId), "default_backend": t.defaultBackend, "default_region": opt(t.defaultRegion),
                "default_fargate_spot": opt(t.defaultFargateSpot), "gpu_access": t.gpuAccess, "has_credentials": t.hasCredentials,
                "created_at": time(t.createdAt)]
    }

    static func clusterObject(_ c: Cluster) -> [String: Any] {
        func opt(_ value: Any?) -> Any { value ?? NSNull() }
        let spec = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(c.spec))) ?? [:]
        return ["id": c.id.uuidString.lowercased(), "tenant": c.tenant, "name": c.name, "state": c.state, "error": opt(c.error),
                "backend": c.backend, "region": c.region, "spec": spec, "scheduler_address": opt(c.schedulerAddress),
                "scheduler_public_address": opt(c.schedulerPublicAddress), "created_at": time(c.createdAt), "updated_at": time(c.updatedAt)]
    }

    static func eventObject(_ e: Event) -> [String: Any] {
        func opt(_ value: Any?) -> Any { value ?? NSNull() }
        return ["id": e.id, "at": time(e.at), "tenant": e.tenant, "cluster_id": opt(e.clusterId?.uuidString.lowercased()),
                "cluster": opt(e.clusterName), "job_id": opt(e.jobId), "type": e.type, "step": opt(e.step), "state": opt(e.state),
                "message": e.message, "data": (try? JSONSerialization.jsonObject(with: Data(e.dataJSON.utf8))) ?? e.data]
    }

    static func eventLine(_ e: Event) -> String {
        let who = e.clusterName.map { "\(e.tenant)/\($0)" } ?? e.tenant
        let state = e.type == "state" ? " -> \(e.state ?? "?")" : ""
        return "\(time(e.at)) \(who) [\(e.type)\(state)] \(e.message)"
    }
}
