import Foundation

/// What a failure says about the state of AWS, for the failures provisioning handles in a way
/// of its own (the classification says only what to do with the call). Read purely from the
/// code, message and operation; AWS's wording is quoted in docs/aws.md.
public enum AWSFailureCause: Sendable, Hashable, CustomStringConvertible {
    /// AWS does not know these ids. For an id the caller created moments ago this is EC2's
    /// eventual consistency ("not found yet"), not proof that it is gone.
    case notFound(ids: [String])
    /// A new IAM role, instance profile or service-linked role is not usable yet.
    case propagation(Propagation)
    /// An account quota refused the request.
    case quota(AWSQuota)
    /// No capacity where the request asked for it.
    case capacity(Capacity)

    public enum Propagation: Sendable, Hashable, CustomStringConvertible {
        /// ECS cannot assume its service-linked role (AWSServiceRoleForECS), new in the account.
        case serviceLinkedRole
        /// ECS cannot assume the task's (execution) role, by ARN.
        case taskRole(String)
        /// EC2 does not know the instance profile yet (by name or ARN), or not its role.
        case instanceProfile(String)

        public var description: String {
            switch self {
            case .serviceLinkedRole: "the ECS service-linked role is not usable yet"
            case .taskRole(let arn): "ECS cannot assume the role \(arn) yet"
            case .instanceProfile(let profile): "EC2 does not know the instance profile \(profile) yet"
            }
        }
    }

    public enum Capacity: Sendable, Hashable, CustomStringConvertible {
        /// EC2 has no capacity for the type in that zone now (`InsufficientInstanceCapacity`).
        case instanceType(String?, zone: String?)
        /// The zone does not offer the type at all (`Unsupported`).
        case unsupportedInZone(String?, zone: String?)
        /// Fargate has no capacity now ("Capacity is unavailable at this time").
        case fargate

        public var description: String {
            switch self {
            case .instanceType(let type, let zone): "no \(type ?? "instance") capacity in \(zone ?? "the zone") now"
            case .unsupportedInZone(let type, let zone): "\(type ?? "the instance type") is not offered in \(zone ?? "the zone")"
            case .fargate: "Fargate has no capacity now"
            }
        }
    }

    public var description: String {
        switch self {
        case .notFound(let ids): ids.isEmpty ? "not found" : "not found: \(ids.joined(separator: ", "))"
        case .propagation(let what): "\(what) (new IAM roles take seconds to minutes to propagate)"
        case .quota(let quota): "the quota \(quota) is used up"
        case .capacity(let what): "\(what)"
        }
    }
}

extension AWSError {
    /// The cause, when it is one provisioning handles specially; nil otherwise. A vCPU quota
    /// names its bucket only when `instanceType` (the type launched) is given: AWS's message
    /// does not say.
    public func cause(instanceType: String? = nil) -> AWSFailureCause? {
        if classification == .notFound { return .notFound(ids: AWSFailureCause.resourceIds(in: message)) }
        if let propagation = AWSFailureCause.propagation(code: code, message: message) { return .propagation(propagation) }
        if let capacity = AWSFailureCause.capacity(code: code, message: message) { return .capacity(capacity) }
        if let quota = AWSFailureCause.quota(service: service, code: code, message: message, instanceType: instanceType) {
            return .quota(quota)
        }
        return nil
    }

    /// ``cause(instanceType:)`` without an instance type.
    public var cause: AWSFailureCause? { cause() }
}

extension ECSFailure {
    /// The cause of a RunTask failure (they come in `failures`, with HTTP 200): Fargate
    /// capacity, or the Fargate vCPU quota (`spot`: of FARGATE_SPOT, whose quota is separate).
    public func cause(spot: Bool = false) -> AWSFailureCause? {
        let text = reason ?? ""
        if text.contains("Capacity is unavailable at this time") { return .capacity(.fargate) }
        // AWS writes "You’ve" with a typographic apostrophe.
        if text.contains("reached the limit on the number of vCPUs") {
            return .quota(spot ? .fargateSpotVCPU : .fargateOnDemandVCPU)
        }
        return nil
    }
}

extension AWSFailureCause {
    static func propagation(code: String, message: String) -> Propagation? {
        if message.contains("Unable to assume the service linked role") || message.contains("Service Linked Role does not exist") {
            return .serviceLinkedRole
        }
        if message.contains("was unable to assume the role") {
            return .taskRole(quoted(in: message, between: "'", "'") ?? "")
        }
        if code == "InvalidParameterValue",
           message.contains("Invalid IAM Instance Profile") || message.contains("has no associated IAM Roles") {
            return .instanceProfile(quoted(in: message, between: "(", ")") ?? quoted(in: message, between: "\"", "\"") ?? "")
        }
        return nil
    }

    static func capacity(code: String, message: String) -> Capacity? {
        switch code {
        case "InsufficientInstanceCapacity", "InsufficientCapacity", "InsufficientHostCapacity":
            // "We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-2a)."
            return .instanceType(word(after: "sufficient ", in: message).flatMap { $0 == "capacity" ? nil : $0 },
                                 zone: quoted(in: message, between: "(", ")"))
        case "Unsupported" where message.contains("not supported in your requested Availability Zone"):
            // "Your requested instance type (m5.large) is not supported in your requested Availability Zone (us-east-1e)."
            let type = quoted(in: message, between: "(", ")")
            let rest = message.range(of: "Availability Zone").map { String(message[$0.upperBound...]) } ?? ""
            return .unsupportedInZone(type, zone: quoted(in: rest, between: "(", ")"))
        default:
            return nil
        }
    }

    static func quota(service: AWSService, code: String, message: String, instanceType: String?) -> AWSQuota? {
        switch code {
        case "VpcLimitExceeded": return .vpcsPerRegion
        case "InternetGatewayLimitExceeded": return .internetGatewaysPerRegion
        case "VcpuLimitExceeded":
            return AWSQuota.vcpuQuota(instanceType: instanceType, spot: false)
                ?? AWSQuota(name: "Running On-Demand instances (vCPUs of the type's family)")
        case "MaxSpotInstanceCountExceeded":
            return AWSQuota.vcpuQuota(instanceType: instanceType, spot: true) ?? AWSQuota(name: "Spot Instance Requests (vCPUs)")
        case "InstanceLimitExceeded": return AWSQuota(name: "Running On-Demand instances")
        default:
            break
        }
        // Throttling also says "LimitExceeded" (RequestLimitExceeded, BandwidthLimitExceeded).
        guard AWSErrorClassification.classify(code: code, httpStatus: nil) != .throttled,
              code.hasSuffix("LimitExceeded") || code.hasSuffix("LimitExceededException") || code.contains("QuotaExceeded")
        else { return nil }
        let name = code.replacingOccurrences(of: "Exception", with: "")
        return AWSQuota(name: "\(service.rawValue.uppercased()) \(name)" + (message.isEmpty ? "" : ": \(message)"))
    }

    /// EC2-style resource ids mentioned in a message (`vpc-0abc`, `sg-1`, `i-0f`), in order, once each.
    static func resourceIds(in message: String) -> [String] {
        let prefixes = ["vpc", "subnet", "igw", "rtb", "rtbassoc", "sg", "i", "eni", "ami", "vol", "eipalloc", "acl", "nat", "lt"]
        var ids: [String] = []
        for token in message.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            guard let dash = token.lastIndex(of: "-"), prefixes.contains(String(token[..<dash])),
                  token[token.index(after: dash)...].allSatisfy(\.isHexDigit), token.index(after: dash) < token.endIndex
            else { continue }
            if !ids.contains(String(token)) { ids.append(String(token)) }
        }
        return ids
    }

    private static func quoted(in text: String, between open: Character, _ close: Character) -> String? {
        guard let start = text.firstIndex(of: open) else { return nil }
        let rest = text[text.index(after: start)...]
        guard let end = rest.firstIndex(of: close) else { return nil }
        let value = rest[..<end]
        return value.isEmpty ? nil : String(value)
    }

    private static func word(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let word = text[range.upperBound...].prefix { !$0.isWhitespace }
        return word.isEmpty ? nil : String(word)
    }
}
