"""DescribeAvailabilityZones lists, besides a Region's Availability Zones, the Local Zones and
Wavelength Zones the account opted into (`optInStatus` opted-in, `zoneType` local-zone or
wavelength-zone, a `parentZoneName`), and their names sort before the Availability Zones'
(`us-east-1-bos-1a` < `us-east-1a`). They lack most instance types and Fargate, so a client that
takes "the first three zones" ends up in a Local Zone. The `zone-type` filter keeps only what it
names.

moto 5.2.1 lists Availability Zones only, and without `optInStatus`. With the "local_zones"
behaviour on (realism.py), the emulator adds opted-in Local and Wavelength Zones to the answer
(real ones where AWS has them, else modelled on their names), honouring the request's filters.

AWS sources:
- DescribeAvailabilityZones ("Describes the Availability Zones, Local Zones, and Wavelength Zones
  that are available to you"; filters `zone-type`, `opt-in-status`, `zone-name`, `zone-id`,
  `group-name`, `region-name`, `state`),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html
- AvailabilityZone (`zoneType`: availability-zone | local-zone | wavelength-zone; `optInStatus`:
  opt-in-not-required | opted-in | not-opted-in; `parentZoneName`; `groupName` such as
  us-west-2-lax-1 or us-east-1-wl1-bos-wlz-1),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html
"""

import xml.etree.ElementTree as ET

from .. import xmledit
from ..realism import REALISM
from ..registry import after

# Region -> [(zone name, zone id, type, group, parent zone)]
EXTRA_ZONES = {
    "us-east-1": [("us-east-1-bos-1a", "use1-bos1-az1", "local-zone", "us-east-1-bos-1", "us-east-1c"),
                  ("us-east-1-mia-1a", "use1-mia1-az1", "local-zone", "us-east-1-mia-1", "us-east-1a"),
                  ("us-east-1-wl1-bos-wlz-1", "use1-wl1-bos-wlz1", "wavelength-zone", "us-east-1-wl1", "us-east-1a")],
    "us-west-2": [("us-west-2-lax-1a", "usw2-lax1-az1", "local-zone", "us-west-2-lax-1", "us-west-2a"),
                  ("us-west-2-wl1-sfo-wlz-1", "usw2-wl1-sfo-wlz1", "wavelength-zone", "us-west-2-wl1", "us-west-2a")],
    "eu-central-1": [("eu-central-1-ham-1a", "euc1-ham1-az1", "local-zone", "eu-central-1-ham-1", "eu-central-1a"),
                     ("eu-central-1-wl1-ber-wlz-1", "euc1-wl1-ber-wlz1", "wavelength-zone", "eu-central-1-wl1", "eu-central-1a")],
    "eu-west-2": [("eu-west-2-wl1-lon-wlz-1", "euw2-wl1-lon-wlz1", "wavelength-zone", "eu-west-2-wl1", "eu-west-2a")],
}


def extra_zones(region):
    """The Region's opted-in Local and Wavelength Zones (for a Region without a table, one Local
    Zone modelled on AWS's names)."""
    short = region.split("-")[0][:2] + "".join(p[0] for p in region.split("-")[1:-1]) + region.split("-")[-1]
    return EXTRA_ZONES.get(region, [(f"{region}-loc-1a", f"{short}-loc1-az1", "local-zone", f"{region}-loc-1", f"{region}a")])


def matches(filters, zone):
    name, zone_id, zone_type, group, _ = zone
    values = {"zone-type": zone_type, "zone-name": name, "zone-id": zone_id, "group-name": group,
              "opt-in-status": "opted-in", "state": "available"}
    for key, wanted in filters.items():
        if key == "region-name":
            continue
        if key not in values or values[key] not in wanted:
            return False
    return True


def request_filters(call):
    """{filter name: [values]} from Filter.N.Name / Filter.N.Value.M."""
    found = {}
    for name, value in call.form.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "Filter" and parts[2] == "Name":
            prefix = f"Filter.{parts[1]}.Value."
            found[value] = [v for k, v in call.form.items() if k.startswith(prefix)]
    return found


@after("ec2", "DescribeAvailabilityZones", when=REALISM.on("local_zones"))
def add_opted_in_zones(call, response):
    if response.status != 200:
        return response
    root, namespace = xmledit.parse(response.body)
    listing = root.find("availabilityZoneInfo")
    if listing is None:
        listing = ET.SubElement(root, "availabilityZoneInfo")
    for item in listing.findall("item"):
        if item.find("optInStatus") is None:
            item.append(xmledit.element("optInStatus", "opt-in-not-required"))
    filters = request_filters(call)
    if "region-name" in filters and call.region not in filters["region-name"]:
        return response._replace(body=xmledit.serialize(root, namespace))
    names = [v for k, v in call.form.items() if k.startswith("ZoneName.")]
    ids = [v for k, v in call.form.items() if k.startswith("ZoneId.")]
    for zone in extra_zones(call.region):
        if (names or ids) and zone[0] not in names and zone[1] not in ids:
            continue
        if not matches(filters, zone):
            continue
        name, zone_id, zone_type, group, parent = zone
        item = xmledit.element("item", zoneState="available", optInStatus="opted-in", regionName=call.region, zoneName=name,
                               zoneId=zone_id, groupName=group, networkBorderGroup=group, zoneType=zone_type,
                               parentZoneName=parent)
        item.insert(0, xmledit.element("messageSet"))
        listing.append(item)
    return response._replace(body=xmledit.serialize(root, namespace))
