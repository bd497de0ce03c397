"""EC2 and VPC quotas per account and Region: by default 5 VPCs (the default VPC counts) and 5
internet gateways; On-Demand and Spot instances are limited in vCPUs per instance family bucket
(Standard: A, C, D, H, I, M, R, T, Z; G and VT; P). Over a quota, CreateVpc answers
`VpcLimitExceeded` "The maximum number of VPCs has been reached.", CreateInternetGateway
`InternetGatewayLimitExceeded` "The maximum number of internet gateways has been reached.",
RunInstances `VcpuLimitExceeded` "You have requested more vCPU capacity than your current vCPU
limit of N allows for the instance bucket that the specified instance type belongs to. ..." (On-
Demand) or `MaxSpotInstanceCountExceeded` (Spot).

moto 5.2.1 has no such limits. With the "quotas" behaviour on (realism.py) the emulator counts
what moto holds in the caller's account and Region (through its API) and refuses as AWS does;
the limits are settings (`vpcs`, `internet_gateways`, `on_demand_vcpus` and `spot_vcpus` per
bucket).

AWS sources:
- Amazon VPC quotas ("VPCs per Region: 5 ... The default VPC counts toward this quota";
  "Internet gateways per Region: 5"), https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
- Amazon EC2 instance quotas (On-Demand and Spot vCPU quotas per instance family bucket),
  https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
- the EC2 error codes (`VpcLimitExceeded`, `InternetGatewayLimitExceeded`, `VcpuLimitExceeded`,
  `MaxSpotInstanceCountExceeded`), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
The messages are AWS's as reported by its users (hello-nrfcloud/backend#17 for the VPC and
gateway ones).
"""

import threading

from ..realism import REALISM
from ..registry import around
from ..responses import aws_error
from ..upstream import ec2_query, filters

VCPU_MESSAGE = ("You have requested more vCPU capacity than your current vCPU limit of {} allows for the instance bucket "
                "that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request "
                "to request an adjustment to this limit.")
LIVE_STATES = ["pending", "running"]  # what counts toward the vCPU quotas
LOCKS = {}
LOCKS_LOCK = threading.Lock()
VCPUS = {}  # instance type -> default vCPUs (moto's catalogue; the same in every account)
on = REALISM.on("quotas")


def lock_for(call, what):
    """One lock per (account, Region, quota): a count and the create it allows are one step."""
    with LOCKS_LOCK:
        return LOCKS.setdefault((call.account, call.region, what), threading.Lock())


def count_then_create(call, forward, setting, describe, items, code, message):
    """Refuses the create when the account and Region already hold the quota's worth."""
    limit = REALISM.settings(call, "quotas")[setting]
    with lock_for(call, setting):
        if len(ec2_query(call, describe, {}).findall(items)) >= limit:
            return aws_error(call, 400, code, message)
        return forward()


@around("ec2", "CreateVpc", when=on)
def vpcs_per_region(call, forward):
    return count_then_create(call, forward, "vpcs", "DescribeVpcs", "vpcSet/item", "VpcLimitExceeded",
                             "The maximum number of VPCs has been reached.")


@around("ec2", "CreateInternetGateway", when=on)
def internet_gateways_per_region(call, forward):
    return count_then_create(call, forward, "internet_gateways", "DescribeInternetGateways", "internetGatewaySet/item",
                             "InternetGatewayLimitExceeded", "The maximum number of internet gateways has been reached.")


def bucket(instance_type):
    """The vCPU quota bucket of an instance type, or None for buckets not emulated."""
    family = instance_type.split(".")[0].lower()
    if any(family.startswith(p) for p in ("inf", "dl", "trn", "hpc")):
        return None
    if family.startswith("g") or family.startswith("vt"):
        return "g"
    if family.startswith("p"):
        return "p"
    return "standard" if family[:1] in "acdhimrtz" else None


def vcpus(call, instance_type):
    if instance_type not in VCPUS:
        info = ec2_query(call, "DescribeInstanceTypes", {"InstanceType.1": instance_type})
        VCPUS[instance_type] = int(info.findtext("instanceTypeSet/item/vCpuInfo/defaultVCpus") or 0)
    return VCPUS[instance_type]


# Inside the client-token cache (order above 100): a repeat that launches nothing is not refused.
@around("ec2", "RunInstances", when=on, order=110)
def vcpus_per_bucket(call, forward):
    instance_type = call.form.get("InstanceType", "m1.small")
    kind = bucket(instance_type)
    if kind is None:
        return forward()
    spot = call.form.get("InstanceMarketOptions.MarketType") == "spot"
    limit = REALISM.settings(call, "quotas")["spot_vcpus" if spot else "on_demand_vcpus"][kind]
    with lock_for(call, ("vcpus", spot, kind)):
        used = 0
        root = ec2_query(call, "DescribeInstances", filters(instance_state_name=LIVE_STATES))
        for instance in root.iter("instancesSet"):
            for item in instance.findall("item"):
                other = item.findtext("instanceType") or ""
                if bucket(other) == kind and (item.findtext("instanceLifecycle") == "spot") == spot:
                    used += vcpus(call, other)
        wanted = vcpus(call, instance_type) * int(call.form.get("MaxCount") or call.form.get("MinCount") or 1)
        if used + wanted > limit:
            if spot:
                return aws_error(call, 400, "MaxSpotInstanceCountExceeded", "Max spot instance count exceeded")
            return aws_error(call, 400, "VcpuLimitExceeded", VCPU_MESSAGE.format(limit))
        return forward()
