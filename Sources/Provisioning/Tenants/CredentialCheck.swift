import AWS
import Foundation

/// Checks a tenant's access key before it is stored: long-lived only, known to STS, and a
/// permission preflight that names the actions the key is missing.
public enum CredentialCheck {
    /// Temporary keys (ASIA…, or any session token) expire under running clusters.
    public static func refuseTemporary(_ credentials: AWSCredentials) throws(ProvisioningError) {
        if credentials.isTemporary {
            throw .invalid("temporary AWS credentials (an ASIA… key id or a session token) are refused: they expire while clusters run. Create a long-lived access key (AKIA…) for an IAM user that holds the policy `berth iam-policy` prints")
        }
        if credentials.accessKeyId.range(of: #"^AKIA[A-Z0-9]{12,124}$"#, options: .regularExpression) == nil {
            throw .invalid("\"\(credentials.accessKeyId)\" does not look like a long-lived AWS access key id (AKIA followed by letters and digits)")
        }
    }

    public struct Outcome: Sendable {
        public var accountId: String
        public var arn: String
        /// Actions the preflight found missing, e.g. `ec2:CreateVpc`.
        public var missingActions: [String]
    }

    /// STS GetCallerIdentity (a bad key fails here), then one harmless probe per service:
    /// EC2 DryRun calls and reads that succeed or fail on permission alone.
    public static func check(_ client: AWSClient) throws -> Outcome {
        let identity: CallerIdentity
        switch Swift.Result(catching: { () throws(AWSError) in try client.getCallerIdentity() }) {
        case .success(let found): identity = found
        case .failure(let error) where error.classification == .auth:
            throw ProvisioningError.invalid("AWS does not accept this access key (\(error.code)): check the key id and secret")
        case .failure(let error): throw error
        }
        var missing: [String] = []
        for action in ["CreateVpc", "CreateSecurityGroup", "RunInstances"] {
            if try !ec2DryRunAllowed(client, action: action) { missing.append("ec2:\(action)") }
        }
        if !permitted({ _ = try client.listClusters() }) { missing.append("ecs:ListClusters") }
        if !permitted({ _ = try client.getRole(name: Names.ecsServiceLinkedRole) }) { missing.append("iam:GetRole") }
        return Outcome(accountId: identity.account, arn: identity.arn, missingActions: missing)
    }

    /// False only when AWS refused the call for lack of permission ("not found" is permitted).
    private static func permitted(_ call: () throws -> Void) -> Bool {
        do {
            try call()
            return true
        } catch let error as AWSError {
            return error.classification != .auth
        } catch {
            return true
        }
    }

    /// DryRun answers `DryRunOperation` when the key may call the action and
    /// `UnauthorizedOperation` when it may not, without doing anything.
    private static func ec2DryRunAllowed(_ client: AWSClient, action: String) throws -> Bool {
        var p = QueryParameters()
        p.set("DryRun", true)
        switch action {
        case "CreateVpc": p.set("CidrBlock", Names.vpcCidr)
        case "CreateSecurityGroup":
            p.set("GroupName", "berth-preflight")
            p.set("GroupDescription", "Berth permission preflight (dry run)")
        case "RunInstances":
            p.set("ImageId", "ami-00000000000000000")
            p.set("InstanceType", VMInstances.defaultSchedulerType)
            p.set("MinCount", 1)
            p.set("MaxCount", 1)
        default: break
        }
        switch Swift.Result(catching: { () throws(AWSError) in try client.query(.ec2, action: action, p) }) {
        case .success: return true
        case .failure(let error) where error.code == "DryRunOperation": return true
        case .failure(let error) where error.code == "UnauthorizedOperation" || error.code == "AccessDenied": return false
        case .failure(let error) where error.classification == .auth:
            throw ProvisioningError.invalid("AWS does not accept this access key (\(error.code)): check the key id and secret")
        case .failure:
            // Any other answer (a parameter moto or AWS dislikes) says nothing about permission.
            return true
        }
    }
}
