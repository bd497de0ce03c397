"""A Fargate task's elastic network interface outlives the task for a while: ECS detaches and
deletes it after the task stops, and until then it still belongs to the task's security groups
and subnet, so DeleteSecurityGroup and DeleteSubnet answer `DependencyViolation`.

moto 5.2.1 frees them the moment StopTask returns (its ENIs stay, but no check looks at them).
With the "eni_linger" behaviour on (realism.py), the interface of a task stopped through the
emulator holds its groups and subnet for a seeded random while (default 5-30 s) after StopTask.

AWS sources:
- Fargate task networking ("When the task stops, the elastic network interface is detached and
  deleted"; tasks move through DEPROVISIONING, when ECS detaches the network interface, before
  STOPPED), https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html
  and the task lifecycle, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
- DeleteSecurityGroup ("If you attempt to delete a security group that is associated with an
  instance or network interface ... the operation fails with DependencyViolation"),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html
- the EC2 error codes (`DependencyViolation`), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

import json
import threading
import time

from ..dependencies import dependency_violation, eni_groups
from ..realism import REALISM
from ..registry import after, before

LINGERING = {}  # (account, region, ENI id) -> (subnet id, [group ids], monotonic time it goes)
LOCK = threading.Lock()


def lingering(call):
    """[(subnet, groups)] of the interfaces still lingering in the caller's account and Region."""
    now = time.monotonic()
    with LOCK:
        for key in [k for k, v in LINGERING.items() if v[2] <= now]:
            del LINGERING[key]
        return [(v[0], v[1]) for k, v in LINGERING.items() if k[:2] == (call.account, call.region)]


@after("ecs", "StopTask", when=REALISM.on("eni_linger"))
def linger(call, response):
    if response.status != 200:
        return response
    task = json.loads(response.body).get("task", {})
    for attachment in task.get("attachments", []):
        details = {d.get("name"): d.get("value") for d in attachment.get("details", [])}
        eni = details.get("networkInterfaceId")
        if not eni:
            continue
        groups = eni_groups(call, [eni]).get(eni, [])
        until = time.monotonic() + REALISM.delay(call, "eni_linger", call.account, eni)
        with LOCK:
            LINGERING[(call.account, call.region, eni)] = (details.get("subnetId"), groups, until)
    return response


# Not only while eni_linger is on for the caller: an interface already lingering still holds.
@before("ec2", "DeleteSecurityGroup", when=lambda call: call.form.get("GroupId"))
def group_held(call):
    group = call.form["GroupId"]
    return dependency_violation(call, group) if any(group in groups for _, groups in lingering(call)) else None


@before("ec2", "DeleteSubnet", when=lambda call: call.form.get("SubnetId"))
def subnet_held(call):
    subnet = call.form["SubnetId"]
    return dependency_violation(call, subnet) if any(subnet == s for s, _ in lingering(call)) else None
