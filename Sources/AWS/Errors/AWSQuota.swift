/// An account quota that refused a request, named as the Service Quotas console names it, with
/// how to raise it. Only AWS's quota owner can raise one: Berth can say which and where.
public struct AWSQuota: Sendable, Hashable, CustomStringConvertible {
    /// As the Service Quotas console lists it ("VPCs per Region").
    public var name: String
    /// The Service Quotas service code (`vpc`, `ec2`, `fargate`), when the quota is adjustable there.
    public var serviceCode: String?
    /// The quota code (`L-F678F1CE`), when known.
    public var quotaCode: String?

    public init(name: String, serviceCode: String? = nil, quotaCode: String? = nil) {
        self.name = name
        self.serviceCode = serviceCode
        self.quotaCode = quotaCode
    }

    public var description: String { quotaCode.map { "\(name) (\($0))" } ?? name }

    /// What to do about it: the console path, and the CLI call that requests more.
    public func howToRaise(region: String) -> String {
        guard let serviceCode, let quotaCode else {
            return "ask for a higher \"\(name)\" in the Service Quotas console (region \(region)) or AWS Support, "
                + "or free some of it"
        }
        return "raise \"\(name)\" in the Service Quotas console (region \(region), service \(serviceCode), quota \(quotaCode)) "
            + "or with `aws service-quotas request-service-quota-increase --region \(region) --service-code \(serviceCode) "
            + "--quota-code \(quotaCode) --desired-value N`, or free some of it"
    }

    // Quotas and codes from the Service Quotas console; the VPC ones are documented in
    // https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html, EC2's vCPU
    // quotas in https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html,
    // Fargate's in https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html.
    public static let vpcsPerRegion = AWSQuota(name: "VPCs per Region", serviceCode: "vpc", quotaCode: "L-F678F1CE")
    public static let internetGatewaysPerRegion = AWSQuota(name: "Internet gateways per Region", serviceCode: "vpc",
                                                           quotaCode: "L-A4707A72")
    public static let onDemandStandard = AWSQuota(name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
                                                  serviceCode: "ec2", quotaCode: "L-1216C47A")
    public static let onDemandGAndVT = AWSQuota(name: "Running On-Demand G and VT instances", serviceCode: "ec2",
                                                quotaCode: "L-DB2E81BA")
    public static let onDemandP = AWSQuota(name: "Running On-Demand P instances", serviceCode: "ec2", quotaCode: "L-417A185B")
    public static let spotStandard = AWSQuota(name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
                                              serviceCode: "ec2", quotaCode: "L-34B43A08")
    public static let spotGAndVT = AWSQuota(name: "All G and VT Spot Instance Requests", serviceCode: "ec2", quotaCode: "L-3819A6DF")
    public static let spotP = AWSQuota(name: "All P Spot Instance Requests", serviceCode: "ec2", quotaCode: "L-7212CCBC")
    public static let fargateOnDemandVCPU = AWSQuota(name: "Fargate On-Demand vCPU resource count", serviceCode: "fargate",
                                                     quotaCode: "L-3032A538")
    public static let fargateSpotVCPU = AWSQuota(name: "Fargate Spot vCPU resource count", serviceCode: "fargate",
                                                 quotaCode: "L-36FBB829")

    /// The vCPU quota an instance type counts against (EC2 buckets On-Demand and Spot vCPUs by
    /// the type's family letter); nil when the type is unknown (the message does not name it).
    public static func vcpuQuota(instanceType: String?, spot: Bool) -> AWSQuota? {
        guard let family = instanceType?.split(separator: ".").first?.lowercased(), let letter = family.first else { return nil }
        // Families with buckets of their own that start like a standard one (Inf, DL, Trn, HPC).
        if ["inf", "dl", "trn", "hpc"].contains(where: { family.hasPrefix($0) }) { return nil }
        switch letter {
        case "g": return spot ? spotGAndVT : onDemandGAndVT
        case "v" where family.hasPrefix("vt"): return spot ? spotGAndVT : onDemandGAndVT
        case "p": return spot ? spotP : onDemandP
        case "a", "c", "d", "h", "i", "m", "r", "t", "z": return spot ? spotStandard : onDemandStandard
        default: return nil
        }
    }
}
