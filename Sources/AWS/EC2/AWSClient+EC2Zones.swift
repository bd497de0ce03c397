/// EC2 zones: which of a region's zones Berth may place subnets, instances and tasks in.
extension AWSClient {
    /// The region's zones as AWS lists them: Availability Zones, and the Local Zones and
    /// Wavelength Zones the account opted into (`us-east-1-bos-1a` sorts before `us-east-1a`).
    /// `zoneType` narrows the list on AWS's side (`availability-zone`, `local-zone`, `wavelength-zone`).
    public func describeAvailabilityZones(zoneType: String? = nil) throws(AWSError) -> [AvailabilityZone] {
        var p = QueryParameters()
        var filters = [EC2Filter("region-name", region)]
        if let zoneType { filters.append(EC2Filter("zone-type", zoneType)) }
        p.filters(filters)
        return try query(.ec2, action: "DescribeAvailabilityZones", p).items("availabilityZoneInfo").map(AvailabilityZone.init(xml:))
    }

    /// The Availability Zones that can take Berth's resources now, sorted by name: zone type
    /// `availability-zone` (never a Local or Wavelength Zone, which lack most instance types
    /// and Fargate), state `available`; with `instanceType`, only the zones that offer that type
    /// (offerings differ per zone, not only per region). Two calls with an instance type, one without.
    public func usableAvailabilityZones(offering instanceType: String? = nil) throws(AWSError) -> [AvailabilityZone] {
        let zones = try describeAvailabilityZones(zoneType: AvailabilityZone.availabilityZoneType)
        var offeredIn: Set<String>?
        if let instanceType {
            offeredIn = Set(try describeInstanceTypeOfferings(locationType: "availability-zone",
                                                              filters: [EC2Filter("instance-type", instanceType)])
                .filter { $0.instanceType == instanceType }.map(\.location))
        }
        return AvailabilityZone.usable(zones, offeredIn: offeredIn)
    }

    /// The Availability Zones where Fargate runs tasks (``FargateZones``), sorted by name.
    public func fargateAvailabilityZones() throws(AWSError) -> [AvailabilityZone] {
        FargateZones.filter(AvailabilityZone.usable(try describeAvailabilityZones(zoneType: AvailabilityZone.availabilityZoneType),
                                                    offeredIn: nil), region: region)
    }
}

extension AvailabilityZone {
    /// Of `zones`, the Availability Zones (checked here too: an endpoint may ignore the filter)
    /// that are `available` and, when `offeredIn` is given, named in it; sorted by name.
    public static func usable(_ zones: [AvailabilityZone], offeredIn: Set<String>?) -> [AvailabilityZone] {
        zones.filter { $0.isAvailabilityZone && $0.state == "available" && (offeredIn?.contains($0.zoneName) ?? true) }
            .sorted { $0.zoneName < $1.zoneName }
    }
}
