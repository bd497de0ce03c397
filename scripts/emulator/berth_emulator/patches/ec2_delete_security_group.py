"""EC2 DeleteSecurityGroup answers `DependencyViolation` while the group is in use: by an instance
that is not terminated, by the network interface of an ECS task not yet STOPPED, or by a rule
of another security group.

moto 5.2.1 checks none of these and deletes the group, so a teardown that deletes in the wrong order, or does not
wait for its tasks to stop, passes in the emulator and fails in AWS.

AWS sources:
- DeleteSecurityGroup ("If you attempt to delete a security group that is associated with an
  instance or network interface, is referenced by another security group in the same VPC, or
  has a VPC association, the operation fails with DependencyViolation."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html
- the EC2 error codes (`DependencyViolation`),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from ..dependencies import eni_groups, live_instances, live_task_attachments, refuse_delete_while_in_use
from ..upstream import ec2_query


@refuse_delete_while_in_use("DeleteSecurityGroup", "GroupId")
def group_in_use(call, group):
    if live_instances(call, instance__group_id=group):
        return True
    tasks = live_task_attachments(call)
    groups = eni_groups(call, [eni for _, eni in tasks if eni])
    if any(group in task_groups for task_groups in groups.values()):
        return True
    return referenced_by_another_group(call, group)


def referenced_by_another_group(call, group):
    for sg in ec2_query(call, "DescribeSecurityGroups", {}).iter("item"):
        owner = sg.findtext("groupId")
        if not owner or owner == group:
            continue
        for pair in sg.iter("groups"):
            if any(item.findtext("groupId") == group for item in pair.findall("item")):
                return True
    return False
