/// An elastic network interface (an awsvpc task's or an instance's).
public struct NetworkInterface: Sendable, Hashable {
    public var networkInterfaceId: String
    public var status: String
    public var privateIpAddress: String?
    public var publicIp: String?
    public var groupIds: [String]

    init(xml: XMLElement) {
        networkInterfaceId = xml.string("networkInterfaceId") ?? ""
        status = xml.string("status") ?? ""
        privateIpAddress = xml.string("privateIpAddress")
        publicIp = xml.string("association", "publicIp")
        groupIds = xml.items("groupSet").compactMap { $0.string("groupId") }
    }
}

extension AWSClient {
    public func describeNetworkInterfaces(ids: [String] = [], filters: [EC2Filter] = []) throws(AWSError) -> [NetworkInterface] {
        var p = QueryParameters()
        p.list("NetworkInterfaceId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeNetworkInterfaces", p, listName: "networkInterfaceSet").map(NetworkInterface.init(xml:))
    }
}
