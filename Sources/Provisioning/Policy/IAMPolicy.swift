import Foundation

/// The IAM policy a tenant grants Berth, generated from `AWSActions.all`: one statement per
/// `AWSAction.Statement` (Setup, Ongoing, the scoped IAM ones, PassRole), each action once, sorted. `workerRoles`:
/// the ARNs of the tenant's worker roles (`berth iam-policy --worker-role-arn`), which the
/// PassRole statement then names beside Berth's own `berth-*` roles.
public enum IAMPolicy {
    public static func document(_ actions: [AWSAction] = AWSActions.all, workerRoles: [String] = []) -> String {
        let statements = AWSAction.Statement.allCases.map { statement -> String in
            let names = Set(actions.filter { $0.statement == statement }.map(\.name)).sorted()
            let list = names.map { "        \"\($0)\"" }.joined(separator: ",\n")
            let resources = statement.resources(workerRoles: workerRoles).map { "\"\($0)\"" }
            var lines = [
                "    {",
                "      \"Sid\": \"\(statement.rawValue)\",",
                "      \"Effect\": \"Allow\",",
                "      \"Resource\": \(resources.count == 1 ? resources[0] : "[" + resources.joined(separator: ", ") + "]"),",
                "      \"Action\": [",
                list,
                statement.condition == nil ? "      ]" : "      ],",
            ]
            if let condition = statement.condition {
                let operators = condition.keys.sorted().map { op -> String in
                    let keys = condition[op]!.keys.sorted().map { key -> String in
                        let values = condition[op]![key]!.map { "\"\($0)\"" }.joined(separator: ", ")
                        return "          \"\(key)\": [\(values)]"
                    }
                    return "        \"\(op)\": {\n\(keys.joined(separator: ",\n"))\n        }"
                }
                lines += ["      \"Condition\": {", operators.joined(separator: ",\n"), "      }"]
            }
            lines.append("    }")
            return lines.joined(separator: "\n")
        }
        return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n" + statements.joined(separator: ",\n") + "\n  ]\n}\n"
    }
}
