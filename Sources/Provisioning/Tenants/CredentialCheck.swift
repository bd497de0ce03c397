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

    /// STS GetCallerIdentity: whose key this is (a key AWS does not accept fails here).
    public static func identity(_ client: AWSClient) throws -> CallerIdentity {
        switch Swift.Result(catching: { () throws(AWSError) in try client.getCallerIdentity() }) {
        case .success(let found): return found
        case .failure(let error) where error.classification == .auth:
            throw ProvisioningError.invalid("AWS does not accept this access key (\(error.code)): check the key id and secret")
        case .failure(let error): throw error
        }
    }

    /// One harmless probe per service: EC2 DryRun calls and reads that succeed or fail on
    /// permission alone. Returns the actions the key may not call, e.g. `ec2:CreateVpc`.
    public static func missingActions(_ client: AWSClient) throws -> [String] {
        var missing: [String] = []
        for action in ["CreateVpc", "CreateSecurityGroup", "RunInstances"] {
            if try !ec2DryRunAllowed(client, action: action) { missing.append("ec2:\(action)") }
        }
        if !permitted({ _ = try client.listClusters() }) { missing.append("ecs:ListClusters") }
        if !permitted({ _ = try client.getRole(name: Names.ecsServiceLinkedRole) }) { missing.append("iam:GetRole") }
        return missing
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
    /// `UnauthorizedOperation` when it may not, without doing anything. A success means the
    /// endpoint ignored DryRun and may have made the resource: an error, never "allowed".
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
        case .success:
            throw ProvisioningError.failed("the endpoint ignored DryRun: the permission check's dry-run \(action) succeeded, so it may have created a resource (look for one made just now, untagged). Real AWS never does this; check AWS_ENDPOINT_URL. Nothing was stored")
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
