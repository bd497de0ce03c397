import AWS
import Foundation

/// Per (tenant, region), built once and shared by the tenant's clusters there: a VPC with DNS
/// support and hostnames, a public subnet per availability zone (up to 3), an internet
/// gateway, a route table, the ECS cluster (FARGATE and FARGATE_SPOT), the log group (30 days)
/// and the ECR repository.
enum NetworkPlan {
    static func scope(tenantId: UUID, region: String) -> String { "network:\(tenantId.uuidString.lowercased()):\(region)" }

    static func plan(tenant: Tenant, region: String) -> Plan {
        let name = Names.network(tenant: tenant.name, region: region)
        return Plan(scope: scope(tenantId: tenant.id, region: region), steps: [
            Step("vpc", .create) { ctx in
                if ctx.resumed, let vpc = try ctx.aws.describeVpcs(filters: ctx.tags.filters).first {
                    return .done(["vpc_id": vpc.vpcId, "vpc_cidr": vpc.cidrBlock])
                }
                let vpc = try ctx.aws.createVpc(cidrBlock: Names.vpcCidr, tags: ctx.tags.tags(name: name))
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
                let zones = try ctx.aws.describeAvailabilityZones()
                    .filter { $0.state == "available" }.map(\.zoneName).sorted().prefix(Names.maxZones)
                let existing = ctx.resumed ? try ctx.aws.describeSubnets(filters: ctx.tags.filters + [EC2Filter("vpc-id", vpc)]) : []
                var ids: [String] = []
                for (index, zone) in zones.enumerated() {
                    if let subnet = existing.first(where: { $0.availabilityZone == zone }) {
                        ids.append(subnet.subnetId)
                        if subnet.mapPublicIpOnLaunch { continue }
                        try ctx.aws.modifySubnetAttribute(subnetId: subnet.subnetId, mapPublicIpOnLaunch: true)
                        continue
                    }
                    let subnet = try ctx.aws.createSubnet(vpcId: vpc, cidrBlock: Names.subnetCidr(index: index), availabilityZone: zone,
                                                          tags: ctx.tags.tags(name: "\(name)-\(zone)"))
                    try ctx.aws.modifySubnetAttribute(subnetId: subnet.subnetId, mapPublicIpOnLaunch: true)
                    ids.append(subnet.subnetId)
                }
                return .done(["subnet_ids": ids.joined(separator: ","), "zones": zones.joined(separator: ",")])
            },
            Step("internet_gateway", .create) { ctx in
                let vpc = try ctx.require("vpc_id")
                var gateway = ctx.resumed ? try ctx.aws.describeInternetGateways(filters: ctx.tags.filters).first : nil
                if gateway == nil { gateway = try ctx.aws.createInternetGateway(tags: ctx.tags.tags(name: name)) }
                let id = gateway!.internetGatewayId
                if !gateway!.attachments.contains(where: { $0.vpcId == vpc }) {
                    try tolerate([.alreadyExists]) { try ctx.aws.attachInternetGateway(id: id, vpcId: vpc) }
                }
                return .done(["internet_gateway_id": id])
            },
            Step("route_table", .create) { ctx in
                let vpc = try ctx.require("vpc_id")
                let gateway = try ctx.require("internet_gateway_id")
                var table = ctx.resumed ? try ctx.aws.describeRouteTables(filters: ctx.tags.filters).first : nil
                if table == nil { table = try ctx.aws.createRouteTable(vpcId: vpc, tags: ctx.tags.tags(name: name)) }
                let id = table!.routeTableId
                if !table!.routes.contains(where: { $0.destinationCidrBlock == "0.0.0.0/0" }) {
                    try tolerate([.alreadyExists]) { try ctx.aws.createRoute(routeTableId: id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway) }
                }
                for subnet in ctx.list("subnet_ids") where !table!.associations.contains(where: { $0.subnetId == subnet }) {
                    _ = try tolerate([.alreadyExists]) { try ctx.aws.associateRouteTable(routeTableId: id, subnetId: subnet) }
                }
                return .done(["route_table_id": id])
            },
            Step("ecs_cluster", .create) { ctx in
                // CreateCluster is idempotent by name.
                let cluster = try ctx.aws.createCluster(name: Names.ecsCluster(tenant: tenant.name),
                                                        defaultStrategy: [CapacityProviderStrategyItem(capacityProvider: "FARGATE")],
                                                        tags: ctx.tags.tags(name: Names.ecsCluster(tenant: tenant.name)))
                return .done(["ecs_cluster": cluster.clusterName, "ecs_cluster_arn": cluster.clusterArn])
            },
            Step("log_group", .create) { ctx in
                let group = Names.logGroup(tenant: tenant.name)
                try tolerate([.alreadyExists]) { try ctx.aws.createLogGroup(name: group, tags: ctx.tags.tags(name: group)) }
                try ctx.aws.putRetentionPolicy(logGroupName: group, days: 30)
                return .done(["log_group": group])
            },
            Step("ecr_repository", .create) { ctx in
                let repository = Names.repository(tenant: tenant.name)
                if let created = try tolerate([.alreadyExists], { try ctx.aws.createRepository(name: repository, tags: ctx.tags.tags(name: repository)) }) {
                    return .done(["ecr_repository_uri": created.repositoryUri])
                }
                let found = try ctx.aws.describeRepositories(names: [repository]).first
                return .done(["ecr_repository_uri": found?.repositoryUri ?? repository])
            },
        ])
    }
}
