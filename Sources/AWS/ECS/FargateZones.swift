/// Where Fargate runs tasks. There is no API that says so; AWS documents, per Region, the
/// Availability Zone IDs Fargate supports where it does not support all of them ("Supported
/// Regions for Amazon ECS on AWS Fargate",
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html).
/// Zone IDs, not names: names are mapped to physical zones per account.
public enum FargateZones {
    /// Region → the only AZ IDs Fargate runs in; a Region not listed supports all of its zones.
    public static let restricted: [String: Set<String>] = [
        "us-west-1": ["usw1-az1", "usw1-az3"],
        "ap-northeast-1": ["apne1-az1", "apne1-az2", "apne1-az4"],
    ]

    /// The zones of `zones` (in `region`) where Fargate runs, in their order.
    public static func filter(_ zones: [AvailabilityZone], region: String) -> [AvailabilityZone] {
        guard let allowed = restricted[region] else { return zones }
        return zones.filter { allowed.contains($0.zoneId) }
    }
}
