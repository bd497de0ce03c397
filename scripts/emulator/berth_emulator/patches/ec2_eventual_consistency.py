"""EC2's API is eventually consistent: for a while after a create returns a new id (a VPC,
subnet, internet gateway, route table, security group, instance), other calls that name that id
answer that it does not exist, and a describe by filter may leave the new resource out. A delete
answered that way has deleted nothing.

moto 5.2.1 knows every id the moment its create returns. With the "consistency" behaviour on
(realism.py), each new id stays unknown for a seeded random window (default 0-2 s): calls that
name it answer its `Invalid*.NotFound`, and filtered describes leave it out
(`hide_from_filters`).

AWS sources:
- "Eventual consistency in the Amazon EC2 API" ("if you run a command to modify or describe the
  resource that you just created, its ID might not have propagated throughout the system, and you
  will get an error responding that the resource does not exist"; `InvalidInstanceID.NotFound`
  after RunInstances, `InvalidGroup.NotFound` after CreateSecurityGroup; "If you get an
  InvalidInstanceID.NotFound error after running TerminateInstances, this doesn't mean that the
  instance was or will be terminated"),
  https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
- the EC2 error codes (`InvalidVpcID.NotFound`, `InvalidSubnetID.NotFound`,
  `InvalidInternetGatewayID.NotFound`, `InvalidRouteTableID.NotFound`, `InvalidGroup.NotFound`,
  `InvalidInstanceID.NotFound`), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

import threading
import time

from .. import xmledit
from ..realism import REALISM
from ..registry import after, before
from ..responses import aws_error

# id prefix -> (error code, message as AWS words it)
NOT_FOUND = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    "i": ("InvalidInstanceID.NotFound", "The instance ID '{}' does not exist"),
}
# create -> where its answer puts the new ids
CREATES = {
    "CreateVpc": "vpc/vpcId", "CreateSubnet": "subnet/subnetId",
    "CreateInternetGateway": "internetGateway/internetGatewayId", "CreateRouteTable": "routeTable/routeTableId",
    "CreateSecurityGroup": "groupId", "RunInstances": "instancesSet/item/instanceId",
}
# describe -> (its list, an item's id); instances sit one level deeper, in reservations
DESCRIBES = {
    "DescribeVpcs": ("vpcSet", "vpcId"), "DescribeSubnets": ("subnetSet", "subnetId"),
    "DescribeInternetGateways": ("internetGatewaySet", "internetGatewayId"),
    "DescribeRouteTables": ("routeTableSet", "routeTableId"), "DescribeSecurityGroups": ("securityGroupInfo", "groupId"),
    "DescribeInstances": ("reservationSet", "instanceId"),
}

HIDDEN = {}  # (account, region, id) -> monotonic time it becomes known
LOCK = threading.Lock()
on = REALISM.on("consistency")


def unknown(call, resource_id, now):
    key = (call.account, call.region, resource_id)
    with LOCK:
        until = HIDDEN.get(key)
        if until is not None and until <= now:
            del HIDDEN[key]
            return False
        return until is not None


@after("ec2", *CREATES, when=on)
def hide_new_ids(call, response):
    if response.status != 200:
        return response
    root, _ = xmledit.parse(response.body)
    now = time.monotonic()
    for node in root.findall(CREATES[call.action]):
        if node.text:
            window = REALISM.delay(call, "consistency", call.account, node.text)
            if window > 0:
                with LOCK:
                    HIDDEN[(call.account, call.region, node.text)] = now + window
    return response


@before("ec2", "*", when=on, order=50)
def refuse_unknown_ids(call):
    """Any parameter naming a hidden id (filters aside: those match nothing instead)."""
    now = time.monotonic()
    for name, value in call.form.items():
        if name.startswith("Filter.") or name in ("Action", "Version"):
            continue
        prefix = value.split("-", 1)[0]
        if prefix in NOT_FOUND and unknown(call, value, now):
            code, message = NOT_FOUND[prefix]
            return aws_error(call, 400, code, message.format(value))
    return None


def names_ids(call):
    """Whether a describe asks for ids (then refuse_unknown_ids has answered for hidden ones)."""
    return any(name.split(".")[0] in ("VpcId", "SubnetId", "InternetGatewayId", "RouteTableId", "GroupId", "InstanceId")
               and name[-1].isdigit() for name in call.form)


@after("ec2", *DESCRIBES, when=lambda call: on(call) and REALISM.settings(call, "consistency")["hide_from_filters"]
       and not names_ids(call))
def leave_out_unknown_ids(call, response):
    if response.status != 200:
        return response
    with LOCK:
        if not any(key[:2] == (call.account, call.region) for key in HIDDEN):
            return response
    root, namespace = xmledit.parse(response.body)
    list_name, id_name = DESCRIBES[call.action]
    now = time.monotonic()
    changed = False
    for listing in root.findall(list_name):
        for item in list(listing.findall("item")):
            if call.action == "DescribeInstances":
                for instances in item.findall("instancesSet"):
                    for instance in list(instances.findall("item")):
                        if unknown(call, instance.findtext(id_name) or "", now):
                            instances.remove(instance)
                            changed = True
                if not item.findall("instancesSet/item"):
                    listing.remove(item)
            elif unknown(call, item.findtext(id_name) or "", now):
                listing.remove(item)
                changed = True
    return response._replace(body=xmledit.serialize(root, namespace)) if changed else response
