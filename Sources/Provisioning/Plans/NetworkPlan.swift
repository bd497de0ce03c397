import AWS
import Foundation

/// A VPC network (`VPCNetwork`): a VPC with DNS support and hostnames, a public subnet in each
/// of up to 3 Availability Zones, an internet gateway and a route table. Built once per region
/// for the managed tenants together, and once per region for each own-account tenant.
///
/// EC2 is eventually consistent, so each step records the ids AWS returns before it uses them
/// (a "not found" for one of them is then a wait, not a failure), and creates that AWS does not
/// deduplicate go through `createOnce` (a lost answer or a crash never makes a second one).
enum NetworkPlan {
    static func plan(_ network: VPCNetwork, name: String) -> Plan {
        Plan(scope: network.scope, steps: [
            Step("vpc", .create) { ctx in
                let vpc = try ctx.createOnce("the VPC", look: { try ctx.aws.describeVpcs(filters: ctx.tags.filters).first }) {
                    try ctx.aws.createVpc(cidrBlock: Names.vpcCidr, tags: ctx.tags.tags(name: name))
                }
                return .done(["vpc_id": vpc.vpcId, "vpc_cidr": vpc.cidrBlock])
            },
            Step("vpc_dns", .check) { ctx in
                let vpc = try ctx.require("vpc_id")
                // One attribute per call (AWS's rule); Fargate tasks need both.
                try ctx.aws.modifyVpcAttribute(vpcId: vpc, enableDnsSupport: true)
                try ctx.aws.modifyVpcAttribute(vpcId: vpc, enableDnsHostnames: true)
                return .done([:])
            },
            Step("subnets", .create) { ctx in
                let vpc = try ctx.require("vpc_id")
                let zones = try zones(ctx.aws)
                let existing = ctx.resumed ? try ctx.aws.describeSubnets(filters: ctx.tags.filters + [EC2Filter("vpc-id", vpc)]) : []
                // All the subnets first, then their attribute: the new ids become visible together,
                // so there is at most one wait for them.
                var ids: [String] = []
                for (index, zone) in zones.enumerated() {
                    let key = "subnet_\(zone.zoneName)"
                    if let id = ctx.current[key] {  // made by an earlier run, which recorded it
                        ids.append(id)
                        continue
                    }
                    let subnet = try ctx.createOnce("the subnet in \(zone.zoneName)",
                                                    look: { existing.first { $0.availabilityZone == zone.zoneName } }) {
                        try subnetConflictIsPending(zone: zone.zoneName) {
                            try ctx.aws.createSubnet(vpcId: vpc, cidrBlock: Names.subnetCidr(index: index), availabilityZone: zone.zoneName,
                                                     tags: ctx.tags.tags(name: "\(name)-\(zone.zoneName)"))
                        }
                    }
                    ctx.remember([key: subnet.subnetId])
                    ids.append(subnet.subnetId)
                }
                for id in ids {
                    try ctx.aws.modifySubnetAttribute(subnetId: id, mapPublicIpOnLaunch: true)
                }
                let fargate = Set(FargateZones.filter(zones, region: ctx.aws.region).map(\.zoneName))
                return .done([
                    "subnet_ids": ids.joined(separator: ","), "zones": zones.map(\.zoneName).joined(separator: ","),
                    "fargate_subnet_ids": zip(zones, ids).filter { fargate.contains($0.0.zoneName) }.map(\.1).joined(separator: ","),
                ])
            },
            Step("internet_gateway", .create) { ctx in
                let vpc = try ctx.require("vpc_id")
                let gateway: InternetGateway
                if let id = ctx.current["internet_gateway_id"], let known = try ctx.aws.describeInternetGateways(ids: [id]).first {
                    gateway = known
                } else {
                    gateway = try ctx.createOnce("the internet gateway",
                                                 look: { try ctx.aws.describeInternetGateways(filters: ctx.tags.filters).first }) {
                        try ctx.aws.createInternetGateway(tags: ctx.tags.tags(name: name))
                    }
                    ctx.remember(["internet_gateway_id": gateway.internetGatewayId])
                }
                if !gateway.attachments.contains(where: { $0.vpcId == vpc }) {
                    try tolerate([.alreadyExists]) { try ctx.aws.attachInternetGateway(id: gateway.internetGatewayId, vpcId: vpc) }
                }
                return .done(["internet_gateway_id": gateway.internetGatewayId])
            },
            Step("route_table", .create) { ctx in
                let vpc = try ctx.require("vpc_id")
                let gateway = try ctx.require("internet_gateway_id")
                // The client token makes a repeated create return the first table, found or not.
                var table: RouteTable?
                if let id = ctx.current["route_table_id"] {
                    table = try ctx.aws.describeRouteTables(ids: [id]).first  // recorded by an earlier run
                } else if ctx.resumed {
                    table = try ctx.aws.describeRouteTables(filters: ctx.tags.filters).first
                }
                if table == nil {
                    table = try ctx.aws.createRouteTable(vpcId: vpc, clientToken: ctx.clientToken(), tags: ctx.tags.tags(name: name))
                }
                let id = table!.routeTableId
                ctx.remember(["route_table_id": id])
                if !table!.routes.contains(where: { $0.destinationCidrBlock == "0.0.0.0/0" }) {
                    try tolerate([.alreadyExists]) { try ctx.aws.createRoute(routeTableId: id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway) }
                }
                for subnet in ctx.list("subnet_ids") where !table!.associations.contains(where: { $0.subnetId == subnet }) {
                    _ = try tolerate([.alreadyExists]) { try ctx.aws.associateRouteTable(routeTableId: id, subnetId: subnet) }
                }
                return .done(["route_table_id": id])
            },
        ])
    }

    /// Up to 3 Availability Zones for the subnets: never a Local or Wavelength Zone (they lack
    /// most instance types and Fargate, and their names sort first), zones where Fargate runs
    /// first, then by name.
    static func zones(_ aws: AWSClient) throws -> [AvailabilityZone] {
        let zones = try aws.usableAvailabilityZones()
        let fargate = Set(FargateZones.filter(zones, region: aws.region).map(\.zoneName))
        return Array((zones.filter { fargate.contains($0.zoneName) } + zones.filter { !fargate.contains($0.zoneName) })
            .prefix(Names.maxZones))
    }

    /// A subnet with this CIDR exists (`InvalidSubnet.Conflict`) though a describe did not show
    /// it: an earlier run made it moments ago. Wait until describes show it.
    private static func subnetConflictIsPending<T>(zone: String, _ create: () throws -> T) throws -> T {
        do {
            return try create()
        } catch let error as AWSError where error.code == "InvalidSubnet.Conflict" {
            throw StepPending("the subnet in \(zone), which an earlier attempt made, to show in describes")
        }
    }
}
