"""EC2 DeleteInternetGateway answers `DependencyViolation` while the gateway is attached to a VPC.

moto 5.2.1 refuses this one itself (`DependencyViolation`, "<igw> is being utilized by <vpc>",
measured), so for it this patch only answers first, with the message of the other
DependencyViolation patches; it guards against a moto without the check.

AWS sources:
- DeleteInternetGateway ("You must detach the internet gateway from the VPC before you can
  delete it."), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteInternetGateway.html
- the EC2 error codes (`DependencyViolation`: "The specified object has dependent resources."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from ..dependencies import refuse_delete_while_in_use
from ..upstream import ec2_query


@refuse_delete_while_in_use("DeleteInternetGateway", "InternetGatewayId")
def gateway_attached(call, igw):
    attachments = ec2_query(call, "DescribeInternetGateways", {"InternetGatewayId.1": igw}).iter("attachmentSet")
    return any(attachment.findall("item") for attachment in attachments)
