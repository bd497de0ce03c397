"""EC2 capacity is per Availability Zone. RunInstances into a zone that has no capacity for the
type now answers HTTP 500 `InsufficientInstanceCapacity` "We currently do not have sufficient
<type> capacity in the Availability Zone you requested (<zone>). Our system will be working on
provisioning additional capacity. You can currently get <type> capacity by not specifying an
Availability Zone in your request or choosing <other zones>."; a type the zone does not offer at
all answers HTTP 400 `Unsupported` "Your requested instance type (<type>) is not supported in your
requested Availability Zone (<zone>). Please retry your request by not specifying an Availability
Zone or choosing <other zones>." and is missing from DescribeInstanceTypeOfferings for that zone.

moto 5.2.1 launches every type in every zone. With the "capacity" behaviour on (realism.py), the
settings' `instances` entries ({"instance_type", "zone", "code", "seconds"}) say which types fail
in which zones (a zone named by name, "*" for any), for good or for `seconds` from when they were
set. A launch without a subnet or placement lets AWS pick a zone, so only "*" entries refuse it.

AWS sources:
- Troubleshoot Amazon EC2 instance launch issues, "Insufficient instance capacity" ("If you get an
  InsufficientInstanceCapacity error when you try to launch an instance ... AWS does not currently
  have enough available On-Demand capacity"; try another Availability Zone, or later),
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-capacity
- the EC2 error codes (`InsufficientInstanceCapacity` among the server errors, `Unsupported`),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
- DescribeInstanceTypeOfferings (offerings per location, location type availability-zone),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
"""

import fnmatch
import time

from .. import xmledit
from ..realism import REALISM
from ..registry import after, around
from ..responses import aws_error
from ..upstream import ec2_query, filters

INSUFFICIENT = ("We currently do not have sufficient {type} capacity in the Availability Zone you requested ({zone}). "
                "Our system will be working on provisioning additional capacity. You can currently get {type} capacity by "
                "not specifying an Availability Zone in your request or choosing {others}.")
UNSUPPORTED = ("Your requested instance type ({type}) is not supported in your requested Availability Zone ({zone}). "
               "Please retry your request by not specifying an Availability Zone or choosing {others}.")
on = REALISM.on("capacity")


def failures(call, instance_type, zone, code=None):
    """The entries in force for this type in this zone (zone None: AWS picks one)."""
    now = time.monotonic()
    found = []
    for entry in REALISM.settings(call, "capacity")["instances"]:
        if entry["until"] is not None and entry["until"] <= now:
            continue
        if code and entry["code"] != code:
            continue
        if fnmatch.fnmatchcase(instance_type, entry["instance_type"]) and (
                entry["zone"] == "*" or (zone is not None and entry["zone"] == zone)):
            found.append(entry)
    return found


def region_zones(call):
    root = ec2_query(call, "DescribeAvailabilityZones", filters(zone_type="availability-zone"))
    return sorted(z.findtext("zoneName") for z in root.iter("item") if z.findtext("zoneName"))


def requested_zone(call):
    subnet = call.form.get("SubnetId") or call.form.get("NetworkInterface.1.SubnetId")
    if subnet:
        root = ec2_query(call, "DescribeSubnets", {"SubnetId.1": subnet})
        return root.findtext("subnetSet/item/availabilityZone")
    return call.form.get("Placement.AvailabilityZone")


# Inside the client-token cache (order above 100): a repeat of a launch that happened is not refused.
@around("ec2", "RunInstances", when=on, order=110)
def launch_where_capacity_is(call, forward):
    instance_type = call.form.get("InstanceType", "m1.small")
    zone = requested_zone(call)
    found = failures(call, instance_type, zone)
    if not found:
        return forward()
    zone = zone or "*"
    others = ", ".join(z for z in region_zones(call) if z != zone and not failures(call, instance_type, z)) or "later"
    if any(e["code"] == "Unsupported" for e in found):
        return aws_error(call, 400, "Unsupported", UNSUPPORTED.format(type=instance_type, zone=zone, others=others))
    return aws_error(call, 500, "InsufficientInstanceCapacity", INSUFFICIENT.format(type=instance_type, zone=zone, others=others))


@after("ec2", "DescribeInstanceTypeOfferings", when=lambda call: on(call) and call.form.get("LocationType") == "availability-zone")
def leave_out_unsupported(call, response):
    if response.status != 200:
        return response
    root, namespace = xmledit.parse(response.body)
    changed = False
    for listing in root.findall("instanceTypeOfferingSet"):
        for item in list(listing.findall("item")):
            zone = item.findtext("location")
            if zone and failures(call, item.findtext("instanceType") or "", zone, code="Unsupported"):
                listing.remove(item)
                changed = True
    return response._replace(body=xmledit.serialize(root, namespace)) if changed else response
