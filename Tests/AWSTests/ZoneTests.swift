import Foundation
import Testing
@testable import AWS

/// Which zones Berth may use: Availability Zones only, offered types, Fargate's zones.
@Suite struct ZoneTests {
    let zones = [
        AvailabilityZone(zoneName: "us-west-1b", zoneId: "usw1-az1"),
        AvailabilityZone(zoneName: "us-west-1-lax-1a", zoneId: "usw1-lax1-az1", zoneType: "local-zone", optInStatus: "opted-in",
                         parentZoneName: "us-west-1a"),
        AvailabilityZone(zoneName: "us-west-1a", zoneId: "usw1-az3"),
        AvailabilityZone(zoneName: "us-west-1c", zoneId: "usw1-az2"),
        AvailabilityZone(zoneName: "us-west-1-wl1-sfo-wlz-1", zoneId: "usw1-wl1-sfo-wlz1", zoneType: "wavelength-zone"),
        AvailabilityZone(zoneName: "us-west-1d", zoneId: "usw1-az4", state: "impaired"),
    ]

    @Test func onlyAvailableAvailabilityZonesSortedByName() {
        #expect(AvailabilityZone.usable(zones, offeredIn: nil).map(\.zoneName) == ["us-west-1a", "us-west-1b", "us-west-1c"])
        #expect(AvailabilityZone.usable(zones, offeredIn: ["us-west-1c", "us-west-1-lax-1a"]).map(\.zoneName) == ["us-west-1c"])
    }

    @Test func fargateZonesByZoneId() {
        let usable = AvailabilityZone.usable(zones, offeredIn: nil)
        #expect(FargateZones.filter(usable, region: "us-west-1").map(\.zoneId) == ["usw1-az3", "usw1-az1"])
        #expect(FargateZones.filter(usable, region: "us-east-2").count == 3)
    }
}
