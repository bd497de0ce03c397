"""RunInstances with an `IamInstanceProfile` launches every instance of the call with that
instance profile: each of them (DescribeInstances' `iamInstanceProfile`, the instance metadata
credentials) has the profile's role.

moto 5.2.1 associates the profile with the first instance of the call only
(moto/ec2/responses/instances.py: `associate_iam_instance_profile(instance_id=
new_reservation.instances[0].id, ...)`): with MinCount/MaxCount above 1, the others run without
one. This patch associates it with the others through moto's AssociateIamInstanceProfile. (The
RunInstances answer itself is left as moto gives it; DescribeInstances is right afterwards.)

AWS sources:
- RunInstances `IamInstanceProfile` ("The name or Amazon Resource Name (ARN) of an IAM instance
  profile."; one request launches MinCount to MaxCount instances of the same configuration),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
- IAM roles for Amazon EC2 (an instance launched with an instance profile gets its role's
  credentials), https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
"""

import re

from .. import upstream
from ..registry import after


def has_profile(call):
    return bool(call.form.get("IamInstanceProfile.Arn") or call.form.get("IamInstanceProfile.Name"))


@after("ec2", "RunInstances", when=has_profile)
def associate_with_every_instance(call, response):
    if response.status != 200:
        return response
    ids = [i.decode() for i in re.findall(rb"<instanceId>(i-[0-9a-f]+)</instanceId>", response.body)]
    profile = ({"IamInstanceProfile.Arn": call.form["IamInstanceProfile.Arn"]} if call.form.get("IamInstanceProfile.Arn")
               else {"IamInstanceProfile.Name": call.form["IamInstanceProfile.Name"]})
    for instance_id in dict.fromkeys(ids[1:]):
        upstream.ec2_query(call, "AssociateIamInstanceProfile", {**profile, "InstanceId": instance_id})
    return response
