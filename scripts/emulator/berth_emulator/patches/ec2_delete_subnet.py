"""EC2 DeleteSubnet answers `DependencyViolation` while an instance that is not terminated, or an
ECS task not yet STOPPED, has a network interface in the subnet.

moto 5.2.1 checks none of this and deletes the subnet.

AWS sources:
- DeleteSubnet ("You must terminate all running instances in the subnet before you can delete
  the subnet."), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html
- the EC2 error codes (`DependencyViolation`: "The specified object has dependent resources."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from ..dependencies import live_instances, live_task_attachments, refuse_delete_while_in_use


@refuse_delete_while_in_use("DeleteSubnet", "SubnetId")
def subnet_in_use(call, subnet):
    return bool(live_instances(call, subnet_id=subnet)) or any(
        task_subnet == subnet for task_subnet, _ in live_task_attachments(call))
