"""EC2 DeleteVpc answers `DependencyViolation` while an internet gateway is attached to the VPC or
it has security groups other than its default one.

moto 5.2.1 checks subnets, attached VPN gateways and route tables other than the main one,
but deletes a VPC with an attached internet gateway or non-default security groups.

AWS sources:
- DeleteVpc ("You must detach or delete all gateways and resources that are associated with the
  VPC before you can delete it. For example, you must terminate all instances running in the
  VPC, delete all security groups associated with the VPC (except the default one), delete all
  route tables associated with the VPC (except the default one), and so on."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html
- the EC2 error codes (`DependencyViolation`: "The specified object has dependent resources."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from ..dependencies import refuse_delete_while_in_use
from ..upstream import ec2_query, filters


@refuse_delete_while_in_use("DeleteVpc", "VpcId")
def vpc_in_use(call, vpc):
    if list(ec2_query(call, "DescribeInternetGateways", filters(attachment__vpc_id=vpc)).iter("internetGatewayId")):
        return True
    names = [e.text for e in ec2_query(call, "DescribeSecurityGroups", filters(vpc_id=vpc)).iter("groupName")]
    return any(name != "default" for name in names)
