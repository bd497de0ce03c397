import Foundation

/// What to launch with RunInstances.
public struct RunInstancesRequest: Sendable {
    public var imageId: String
    public var instanceType: String
    public var count: Int
    public var subnetId: String?
    public var securityGroupIds: [String]
    public var instanceProfileArn: String?
    /// Plain text; encoded to base64 here.
    public var userData: String?
    /// Makes the launch idempotent: a retry with the same token returns the same instances.
    public var clientToken: String?
    /// Applied to the instances and their volumes at creation.
    public var tags: [Tag]
    public var spot: Bool
    /// Instance metadata only with session tokens (IMDSv2): a stolen-URL SSRF cannot read credentials.
    public var requireIMDSv2: Bool
    /// What `shutdown` inside the instance does: "stop" (AWS's default) or "terminate".
    public var shutdownBehavior: String?

    public init(imageId: String, instanceType: String, count: Int = 1, subnetId: String? = nil,
                securityGroupIds: [String] = [], instanceProfileArn: String? = nil, userData: String? = nil,
                clientToken: String? = nil, tags: [Tag] = [], spot: Bool = false, requireIMDSv2: Bool = true,
                shutdownBehavior: String? = nil) {
        self.imageId = imageId
        self.instanceType = instanceType
        self.count = count
        self.subnetId = subnetId
        self.securityGroupIds = securityGroupIds
        self.instanceProfileArn = instanceProfileArn
        self.userData = userData
        self.clientToken = clientToken
        self.tags = tags
        self.spot = spot
        self.requireIMDSv2 = requireIMDSv2
        self.shutdownBehavior = shutdownBehavior
    }
}

/// EC2 images, instance types, instances.
extension AWSClient {
    public func describeImages(ids: [String] = [], owners: [String] = [], filters: [EC2Filter] = []) throws(AWSError) -> [Image] {
        var p = QueryParameters()
        p.list("ImageId", ids)
        p.list("Owner", owners)
        p.filters(filters)
        return try ec2Paginate("DescribeImages", p, listName: "imagesSet").map(Image.init(xml:))
    }

    public func describeInstanceTypes(types: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil) throws(AWSError) -> [InstanceTypeInfo] {
        var p = QueryParameters()
        p.list("InstanceType", types)
        p.filters(filters)
        return try ec2Paginate("DescribeInstanceTypes", p, listName: "instanceTypeSet", pageSize: pageSize)
            .map(InstanceTypeInfo.init(xml:))
    }

    /// Which instance types are offered where. `locationType`: region, availability-zone, availability-zone-id.
    public func describeInstanceTypeOfferings(locationType: String = "availability-zone", filters: [EC2Filter] = [],
                                              pageSize: Int? = nil) throws(AWSError) -> [InstanceTypeOffering] {
        var p = QueryParameters()
        p.set("LocationType", locationType)
        p.filters(filters)
        return try ec2Paginate("DescribeInstanceTypeOfferings", p, listName: "instanceTypeOfferingSet", pageSize: pageSize).map {
            InstanceTypeOffering(instanceType: $0.string("instanceType") ?? "", location: $0.string("location") ?? "",
                                 locationType: $0.string("locationType") ?? locationType)
        }
    }

    public func runInstances(_ request: RunInstancesRequest) throws(AWSError) -> [Instance] {
        var p = QueryParameters()
        p.set("ImageId", request.imageId)
        p.set("InstanceType", request.instanceType)
        p.set("MinCount", request.count)
        p.set("MaxCount", request.count)
        p.set("SubnetId", request.subnetId)
        p.list("SecurityGroupId", request.securityGroupIds)
        p.set("IamInstanceProfile.Arn", request.instanceProfileArn)
        p.set("UserData", request.userData.map { Data($0.utf8).base64EncodedString() })
        // Always a token: then a retry of this call can never launch twice (a random one when the
        // caller has none, as the AWS SDKs do; steps pass a deterministic one).
        p.set("ClientToken", request.clientToken ?? AWSClient.randomClientToken())
        p.set("InstanceInitiatedShutdownBehavior", request.shutdownBehavior)
        if request.spot {
            p.set("InstanceMarketOptions.MarketType", "spot")
            p.set("InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time")
            p.set("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "terminate")
        }
        if request.requireIMDSv2 {
            p.set("MetadataOptions.HttpTokens", "required")
            p.set("MetadataOptions.HttpEndpoint", "enabled")
        }
        p.tagSpecifications(["instance", "volume"], request.tags)
        return try query(.ec2, action: "RunInstances", p).items("instancesSet").map(Instance.init(xml:))
    }

    public func describeInstances(ids: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil) throws(AWSError) -> [Instance] {
        var p = QueryParameters()
        p.list("InstanceId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeInstances", p, listName: "reservationSet", pageSize: pageSize)
            .flatMap { $0.items("instancesSet").map(Instance.init(xml:)) }
    }

    /// The instance's console output (what its boot and user data wrote), decoded; nil when
    /// there is none yet. `latest`: the newest output rather than the buffer AWS posts at state
    /// changes (Nitro instances; others ignore it).
    public func getConsoleOutput(instanceId: String, latest: Bool = true) throws(AWSError) -> String? {
        var p = QueryParameters()
        p.set("InstanceId", instanceId)
        if latest { p.set("Latest", "true") }
        guard let encoded = try query(.ec2, action: "GetConsoleOutput", p).string("output"), !encoded.isEmpty,
              let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public func terminateInstances(ids: [String]) throws(AWSError) -> [InstanceStateChange] {
        var p = QueryParameters()
        p.list("InstanceId", ids)
        return try query(.ec2, action: "TerminateInstances", p).items("instancesSet").map {
            InstanceStateChange(instanceId: $0.string("instanceId") ?? "", currentState: $0.string("currentState", "name") ?? "",
                                previousState: $0.string("previousState", "name") ?? "")
        }
    }
}
