public struct Vpc: Sendable, Hashable {
    public var vpcId: String
    public var cidrBlock: String
    public var state: String
    public var isDefault: Bool
    public var tags: [Tag]

    init(xml: XMLElement) {
        vpcId = xml.string("vpcId") ?? ""
        cidrBlock = xml.string("cidrBlock") ?? ""
        state = xml.string("state") ?? ""
        isDefault = xml.bool("isDefault") ?? false
        tags = xml.ec2Tags
    }
}

public struct Subnet: Sendable, Hashable {
    public var subnetId: String
    public var vpcId: String
    public var cidrBlock: String
    public var availabilityZone: String
    public var availabilityZoneId: String?
    public var state: String
    public var mapPublicIpOnLaunch: Bool
    public var tags: [Tag]

    init(xml: XMLElement) {
        subnetId = xml.string("subnetId") ?? ""
        vpcId = xml.string("vpcId") ?? ""
        cidrBlock = xml.string("cidrBlock") ?? ""
        availabilityZone = xml.string("availabilityZone") ?? ""
        availabilityZoneId = xml.string("availabilityZoneId")
        state = xml.string("state") ?? ""
        mapPublicIpOnLaunch = xml.bool("mapPublicIpOnLaunch") ?? false
        tags = xml.ec2Tags
    }
}

public struct InternetGateway: Sendable, Hashable {
    public struct Attachment: Sendable, Hashable {
        public var vpcId: String
        public var state: String
    }
    public var internetGatewayId: String
    public var attachments: [Attachment]
    public var tags: [Tag]

    init(xml: XMLElement) {
        internetGatewayId = xml.string("internetGatewayId") ?? ""
        attachments = xml.items("attachmentSet").map { Attachment(vpcId: $0.string("vpcId") ?? "", state: $0.string("state") ?? "") }
        tags = xml.ec2Tags
    }
}

public struct RouteTable: Sendable, Hashable {
    public struct Route: Sendable, Hashable {
        public var destinationCidrBlock: String?
        public var gatewayId: String?
        public var state: String?
    }
    public struct Association: Sendable, Hashable {
        public var associationId: String
        public var subnetId: String?
        public var main: Bool
    }
    public var routeTableId: String
    public var vpcId: String
    public var routes: [Route]
    public var associations: [Association]
    public var tags: [Tag]

    init(xml: XMLElement) {
        routeTableId = xml.string("routeTableId") ?? ""
        vpcId = xml.string("vpcId") ?? ""
        routes = xml.items("routeSet").map {
            Route(destinationCidrBlock: $0.string("destinationCidrBlock"), gatewayId: $0.string("gatewayId"), state: $0.string("state"))
        }
        associations = xml.items("associationSet").map {
            Association(associationId: $0.string("routeTableAssociationId") ?? "", subnetId: $0.string("subnetId"),
                        main: $0.bool("main") ?? false)
        }
        tags = xml.ec2Tags
    }
}

/// One rule of a security group: protocol, port range, sources.
public struct IpPermission: Sendable, Hashable {
    public var ipProtocol: String
    public var fromPort: Int?
    public var toPort: Int?
    public var cidrs: [String]
    public var sourceGroupIds: [String]
    public var description: String?

    public init(ipProtocol: String = "tcp", fromPort: Int?, toPort: Int?, cidrs: [String] = [],
                sourceGroupIds: [String] = [], description: String? = nil) {
        self.ipProtocol = ipProtocol
        self.fromPort = fromPort
        self.toPort = toPort
        self.cidrs = cidrs
        self.sourceGroupIds = sourceGroupIds
        self.description = description
    }

    init(xml: XMLElement) {
        ipProtocol = xml.string("ipProtocol") ?? ""
        fromPort = xml.int("fromPort")
        toPort = xml.int("toPort")
        cidrs = xml.items("ipRanges").compactMap { $0.string("cidrIp") }
        sourceGroupIds = xml.items("groups").compactMap { $0.string("groupId") }
        description = xml.items("ipRanges").first?.string("description")
    }

    func encode(into parameters: inout QueryParameters, prefix: String) {
        parameters.set("\(prefix).IpProtocol", ipProtocol)
        parameters.set("\(prefix).FromPort", fromPort)
        parameters.set("\(prefix).ToPort", toPort)
        for (i, cidr) in cidrs.enumerated() {
            parameters.set("\(prefix).IpRanges.\(i + 1).CidrIp", cidr)
            parameters.set("\(prefix).IpRanges.\(i + 1).Description", description)
        }
        for (i, group) in sourceGroupIds.enumerated() {
            parameters.set("\(prefix).Groups.\(i + 1).GroupId", group)
            parameters.set("\(prefix).Groups.\(i + 1).Description", description)
        }
    }
}

public struct SecurityGroup: Sendable, Hashable {
    public var groupId: String
    public var groupName: String
    public var description: String
    public var vpcId: String?
    public var ingress: [IpPermission]
    public var egress: [IpPermission]
    public var tags: [Tag]

    init(xml: XMLElement) {
        groupId = xml.string("groupId") ?? ""
        groupName = xml.string("groupName") ?? ""
        description = xml.string("groupDescription") ?? ""
        vpcId = xml.string("vpcId")
        ingress = xml.items("ipPermissions").map(IpPermission.init(xml:))
        egress = xml.items("ipPermissionsEgress").map(IpPermission.init(xml:))
        tags = xml.ec2Tags
    }
}

public struct AvailabilityZone: Sendable, Hashable {
    public var zoneName: String
    public var zoneId: String
    public var state: String
    public var regionName: String
    /// `availability-zone`, `local-zone` or `wavelength-zone` (AWS's values).
    public var zoneType: String
    /// `opt-in-not-required` (Availability Zones), `opted-in` or `not-opted-in`.
    public var optInStatus: String?
    /// For a Local Zone or Wavelength Zone, the zone that runs its control plane.
    public var parentZoneName: String?

    public static let availabilityZoneType = "availability-zone"

    /// A regular Availability Zone (not a Local Zone or Wavelength Zone). AWS has always
    /// reported `zoneType`; an answer without it can only come from an Availability Zone.
    public var isAvailabilityZone: Bool { zoneType == Self.availabilityZoneType }

    public init(zoneName: String, zoneId: String = "", state: String = "available", regionName: String = "",
                zoneType: String = AvailabilityZone.availabilityZoneType, optInStatus: String? = nil, parentZoneName: String? = nil) {
        self.zoneName = zoneName
        self.zoneId = zoneId
        self.state = state
        self.regionName = regionName
        self.zoneType = zoneType
        self.optInStatus = optInStatus
        self.parentZoneName = parentZoneName
    }

    init(xml: XMLElement) {
        self.init(zoneName: xml.string("zoneName") ?? "", zoneId: xml.string("zoneId") ?? "", state: xml.string("zoneState") ?? "",
                  regionName: xml.string("regionName") ?? "", zoneType: xml.string("zoneType") ?? Self.availabilityZoneType,
                  optInStatus: xml.string("optInStatus"), parentZoneName: xml.string("parentZoneName"))
    }
}

public struct Image: Sendable, Hashable {
    public var imageId: String
    public var name: String?
    public var description: String?
    public var architecture: String?
    public var state: String?
    public var creationDate: String?
    public var ownerId: String?

    init(xml: XMLElement) {
        imageId = xml.string("imageId") ?? ""
        name = xml.string("name")
        description = xml.string("description")
        architecture = xml.string("architecture")
        state = xml.string("imageState")
        creationDate = xml.string("creationDate")
        ownerId = xml.string("imageOwnerId")
    }
}

public struct InstanceTypeInfo: Sendable, Hashable {
    public var instanceType: String
    public var vCpus: Int
    public var memoryMiB: Int
    /// Total GPUs (0 for none).
    public var gpus: Int
    public var architectures: [String]

    init(xml: XMLElement) {
        instanceType = xml.string("instanceType") ?? ""
        vCpus = xml.at("vCpuInfo")?.int("defaultVCpus") ?? 0
        memoryMiB = xml.at("memoryInfo")?.int("sizeInMiB") ?? 0
        gpus = xml.at("gpuInfo")?.items("gpus").reduce(0) { $0 + ($1.int("count") ?? 0) } ?? 0
        architectures = xml.at("processorInfo")?.items("supportedArchitectures").map { $0.text.trimmingWhitespace() } ?? []
    }
}

public struct InstanceTypeOffering: Sendable, Hashable {
    public var instanceType: String
    public var location: String
    public var locationType: String
}

public struct Instance: Sendable, Hashable {
    public var instanceId: String
    public var imageId: String
    public var instanceType: String
    /// pending, running, shutting-down, terminated, stopping, stopped.
    public var state: String
    public var subnetId: String?
    public var vpcId: String?
    public var privateIpAddress: String?
    public var publicIpAddress: String?
    public var launchTime: String?
    public var clientToken: String?
    public var securityGroupIds: [String]
    public var instanceLifecycle: String?
    /// The ARN of the instance profile it runs with, if any.
    public var iamInstanceProfileArn: String?
    public var tags: [Tag]
    /// Why it last changed state (stateReason's message: a Spot termination, a shutdown from
    /// inside), when EC2 says.
    public var stateReason: String?

    init(xml: XMLElement) {
        instanceId = xml.string("instanceId") ?? ""
        imageId = xml.string("imageId") ?? ""
        instanceType = xml.string("instanceType") ?? ""
        state = xml.string("instanceState", "name") ?? ""
        subnetId = xml.string("subnetId")
        vpcId = xml.string("vpcId")
        privateIpAddress = xml.string("privateIpAddress")
        publicIpAddress = xml.string("ipAddress")
        launchTime = xml.string("launchTime")
        clientToken = xml.string("clientToken").flatMap { $0.isEmpty ? nil : $0 }
        securityGroupIds = xml.items("groupSet").compactMap { $0.string("groupId") }
        instanceLifecycle = xml.string("instanceLifecycle")
        iamInstanceProfileArn = xml.string("iamInstanceProfile", "arn")
        tags = xml.ec2Tags
        stateReason = xml.string("stateReason", "message") ?? xml.string("stateReason", "code")
    }
}

public struct InstanceStateChange: Sendable, Hashable {
    public var instanceId: String
    public var currentState: String
    public var previousState: String
}
