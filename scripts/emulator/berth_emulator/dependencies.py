"""What moto still holds that keeps an EC2 resource in use, asked through its public API, and
the DependencyViolation AWS answers a delete of such a resource. moto 5.2.1 skips most of
these checks (DeleteSubnet, DeleteSecurityGroup and DeleteVpc succeed while instances or tasks
use them); the patches/ec2_delete_*.py modules use this to refuse as AWS does.

AWS source: the EC2 error codes, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
(`DependencyViolation`: "The specified object has dependent resources. A number of resources
in a VPC may have dependent resources, which prevent you from deleting or detaching them.
Remove the dependencies first, then retry your request.")."""

import functools

from .registry import before
from .responses import aws_error
from .upstream import ecs_json, ec2_query, filters

# Every state but terminated: a stopped instance still holds its network interface.
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


def dependency_violation(call, resource):
    return aws_error(call, 400, "DependencyViolation", f"resource {resource} has a dependent object")


def refuse_delete_while_in_use(action, parameter):
    """Declares an EC2 delete patch: the decorated `in_use(call, resource id) -> bool` decides,
    before the delete reaches moto, whether AWS would answer DependencyViolation. The hook
    belongs to the decorated function's module (the patch)."""
    def register(in_use):
        @functools.wraps(in_use)
        def refuse(call):
            resource = call.form[parameter]
            return dependency_violation(call, resource) if in_use(call, resource) else None
        before("ec2", action, when=lambda call: call.form.get(parameter))(refuse)
        return in_use
    return register


def live_instances(call, **extra_filters):
    """Ids of the instances not terminated, narrowed by EC2 filters (`subnet_id=...`)."""
    root = ec2_query(call, "DescribeInstances", filters(instance_state_name=LIVE_INSTANCE_STATES, **extra_filters))
    return [e.text for e in root.iter("instanceId")]


def live_task_attachments(call):
    """(subnet id, ENI id) of every ECS task not yet STOPPED, in all clusters."""
    result = []
    for cluster in ecs_json(call, "ListClusters", {}).get("clusterArns", []):
        arns = ecs_json(call, "ListTasks", {"cluster": cluster}).get("taskArns", [])
        if not arns:
            continue
        for task in ecs_json(call, "DescribeTasks", {"cluster": cluster, "tasks": arns}).get("tasks", []):
            if task.get("lastStatus") == "STOPPED":
                continue
            for attachment in task.get("attachments", []):
                details = {d["name"]: d["value"] for d in attachment.get("details", [])}
                result.append((details.get("subnetId"), details.get("networkInterfaceId")))
    return result


def eni_groups(call, eni_ids):
    """{ENI id: [security group ids]} for the given network interfaces."""
    if not eni_ids:
        return {}
    params = {f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(eni_ids, start=1)}
    root = ec2_query(call, "DescribeNetworkInterfaces", params)
    groups = {}
    for item in root.iter("item"):
        eni = item.findtext("networkInterfaceId")
        if eni:
            groups[eni] = [g.findtext("groupId") for g in item.findall("./groupSet/item")]
    return groups

