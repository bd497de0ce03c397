/// EC2 networking: VPC, subnets, internet gateway, route tables.
extension AWSClient {
    public func createVpc(cidrBlock: String, tags: [Tag] = []) throws(AWSError) -> Vpc {
        var p = QueryParameters()
        p.set("CidrBlock", cidrBlock)
        p.tagSpecifications(["vpc"], tags)
        return Vpc(xml: try query(.ec2, action: "CreateVpc", p)["vpc"] ?? XMLElement(name: "vpc"))
    }

    public func describeVpcs(ids: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil) throws(AWSError) -> [Vpc] {
        var p = QueryParameters()
        p.list("VpcId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeVpcs", p, listName: "vpcSet", pageSize: pageSize).map(Vpc.init(xml:))
    }

    /// Sets one VPC attribute (AWS takes one per call). Fargate tasks need DNS hostnames.
    public func modifyVpcAttribute(vpcId: String, enableDnsHostnames: Bool? = nil, enableDnsSupport: Bool? = nil) throws(AWSError) {
        var p = QueryParameters()
        p.set("VpcId", vpcId)
        p.set("EnableDnsHostnames.Value", enableDnsHostnames)
        p.set("EnableDnsSupport.Value", enableDnsSupport)
        _ = try query(.ec2, action: "ModifyVpcAttribute", p)
    }

    public func deleteVpc(id: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("VpcId", id)
        _ = try query(.ec2, action: "DeleteVpc", p)
    }

    public func createSubnet(vpcId: String, cidrBlock: String, availabilityZone: String?, tags: [Tag] = []) throws(AWSError) -> Subnet {
        var p = QueryParameters()
        p.set("VpcId", vpcId)
        p.set("CidrBlock", cidrBlock)
        p.set("AvailabilityZone", availabilityZone)
        p.tagSpecifications(["subnet"], tags)
        return Subnet(xml: try query(.ec2, action: "CreateSubnet", p)["subnet"] ?? XMLElement(name: "subnet"))
    }

    public func describeSubnets(ids: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil) throws(AWSError) -> [Subnet] {
        var p = QueryParameters()
        p.list("SubnetId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeSubnets", p, listName: "subnetSet", pageSize: pageSize).map(Subnet.init(xml:))
    }

    /// Public subnets give instances and tasks a public IP on launch.
    public func modifySubnetAttribute(subnetId: String, mapPublicIpOnLaunch: Bool) throws(AWSError) {
        var p = QueryParameters()
        p.set("SubnetId", subnetId)
        p.set("MapPublicIpOnLaunch.Value", mapPublicIpOnLaunch)
        _ = try query(.ec2, action: "ModifySubnetAttribute", p)
    }

    public func deleteSubnet(id: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("SubnetId", id)
        _ = try query(.ec2, action: "DeleteSubnet", p)
    }

    public func createInternetGateway(tags: [Tag] = []) throws(AWSError) -> InternetGateway {
        var p = QueryParameters()
        p.tagSpecifications(["internet-gateway"], tags)
        let root = try query(.ec2, action: "CreateInternetGateway", p)
        return InternetGateway(xml: root["internetGateway"] ?? XMLElement(name: "internetGateway"))
    }

    public func describeInternetGateways(ids: [String] = [], filters: [EC2Filter] = []) throws(AWSError) -> [InternetGateway] {
        var p = QueryParameters()
        p.list("InternetGatewayId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeInternetGateways", p, listName: "internetGatewaySet").map(InternetGateway.init(xml:))
    }

    public func attachInternetGateway(id: String, vpcId: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InternetGatewayId", id)
        p.set("VpcId", vpcId)
        _ = try query(.ec2, action: "AttachInternetGateway", p)
    }

    public func detachInternetGateway(id: String, vpcId: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InternetGatewayId", id)
        p.set("VpcId", vpcId)
        _ = try query(.ec2, action: "DetachInternetGateway", p)
    }

    public func deleteInternetGateway(id: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InternetGatewayId", id)
        _ = try query(.ec2, action: "DeleteInternetGateway", p)
    }

    /// `clientToken` makes the create idempotent (a random one when none is given, so a retry
    /// of this call never makes a second table; pass a deterministic one to dedupe across attempts).
    public func createRouteTable(vpcId: String, clientToken: String? = nil, tags: [Tag] = []) throws(AWSError) -> RouteTable {
        var p = QueryParameters()
        p.set("VpcId", vpcId)
        p.set("ClientToken", clientToken ?? AWSClient.randomClientToken())
        p.tagSpecifications(["route-table"], tags)
        return RouteTable(xml: try query(.ec2, action: "CreateRouteTable", p)["routeTable"] ?? XMLElement(name: "routeTable"))
    }

    public func describeRouteTables(ids: [String] = [], filters: [EC2Filter] = []) throws(AWSError) -> [RouteTable] {
        var p = QueryParameters()
        p.list("RouteTableId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeRouteTables", p, listName: "routeTableSet").map(RouteTable.init(xml:))
    }

    /// A route to an internet gateway (`0.0.0.0/0` for a public subnet).
    public func createRoute(routeTableId: String, destinationCidrBlock: String, gatewayId: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RouteTableId", routeTableId)
        p.set("DestinationCidrBlock", destinationCidrBlock)
        p.set("GatewayId", gatewayId)
        _ = try query(.ec2, action: "CreateRoute", p)
    }

    /// Returns the association id.
    public func associateRouteTable(routeTableId: String, subnetId: String) throws(AWSError) -> String {
        var p = QueryParameters()
        p.set("RouteTableId", routeTableId)
        p.set("SubnetId", subnetId)
        return try query(.ec2, action: "AssociateRouteTable", p).string("associationId") ?? ""
    }

    public func disassociateRouteTable(associationId: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("AssociationId", associationId)
        _ = try query(.ec2, action: "DisassociateRouteTable", p)
    }

    public func deleteRouteTable(id: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RouteTableId", id)
        _ = try query(.ec2, action: "DeleteRouteTable", p)
    }
}
