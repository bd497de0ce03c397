import Foundation

/// The IAM policy a tenant grants Berth, generated from `AWSActions.all`: a Setup and an
/// Ongoing statement, each action once, sorted.
public enum IAMPolicy {
    public static func document(_ actions: [AWSAction] = AWSActions.all) -> String {
        let statements = AWSAction.Statement.allCases.map { statement -> String in
            let names = Set(actions.filter { $0.statement == statement }.map(\.name)).sorted()
            let list = names.map { "        \"\($0)\"" }.joined(separator: ",\n")
            return """
                {
                  "Sid": "\(statement.rawValue)",
                  "Effect": "Allow",
                  "Resource": "*",
                  "Action": [
            \(list)
                  ]
                }
            """
        }
        return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n" + statements.joined(separator: ",\n") + "\n  ]\n}\n"
    }
}
