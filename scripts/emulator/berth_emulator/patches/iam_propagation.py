"""IAM is eventually consistent: a new role, instance profile (or a role just added to one) and
a new service-linked role exist at once in IAM, but the services that use them see them only
seconds to minutes later. Meanwhile:
- ECS CreateCluster (or PutClusterCapacityProviders) with capacity providers answers
  `InvalidParameterException` "Unable to assume the service linked role. Please verify that the
  ECS service linked role exists." while the ECS service-linked role is new;
- ECS RunTask answers `ClientException` "ECS was unable to assume the role '<arn>' that was
  provided for this task. ..." while the task definition's execution or task role is new;
- EC2 RunInstances answers `InvalidParameterValue` "Value (<arn>) for parameter
  iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN" (or, given a name, "...
  iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name") while the instance
  profile is new.

moto 5.2.1 lets every service use a role the moment CreateRole returns. With the "propagation"
behaviour on (realism.py), each role, profile and ECS service-linked role created through the
emulator is unusable for a seeded random delay (default 3-10 s). Only what was created through
the emulator is delayed: an older role is usable.

AWS sources:
- IAM troubleshooting, "Changes that I make are not always immediately visible" (IAM "uses a
  distributed computing model called eventual consistency. Any change that you make in IAM ...
  takes time to become visible from all possible endpoints"),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
- Using service-linked roles for Amazon ECS (AWSServiceRoleForECS),
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
- "Amazon ECS task execution IAM role",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
- "Using an IAM role to grant permissions to applications running on Amazon EC2 instances"
  (instance profiles), https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
The messages are AWS's as reported by its users: aws-samples/baseline-environment-on-aws#238
(CreateCluster), telia-oss/terraform-aws-ecs-fargate#58 (the task role), aws/aws-sdk-js-v3#5253
and lacework/go-sdk#1045 (the instance profile, by name and by ARN).
"""

import threading
import time

from ..realism import REALISM
from ..registry import after, around, before
from ..responses import aws_error
from ..upstream import ecs_json

SLR_MESSAGE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
ROLE_MESSAGE = ("ECS was unable to assume the role '{}' that was provided for this task. Please verify that the role being "
                "passed has the proper trust relationship and permissions and that your IAM user has permissions to pass "
                "this role.")
PROFILE_MESSAGE = "Value ({}) for parameter iamInstanceProfile.{} is invalid. Invalid IAM Instance Profile {}"

READY = {}  # (account, "role" | "profile" | "slr", name) -> monotonic time it becomes usable
LOCK = threading.Lock()
on = REALISM.on("propagation")


def delay(call, kind, name):
    """Marks a new thing as unusable for its propagation delay (a role added to a profile
    starts the profile's delay again)."""
    until = time.monotonic() + REALISM.delay(call, "propagation", call.account, kind, name)
    with LOCK:
        key = (call.account, kind, name)
        READY[key] = max(until, READY.get(key, 0))


def pending(call, kind, name):
    """Whether the thing is still propagating (forgotten once usable)."""
    with LOCK:
        key = (call.account, kind, name)
        until = READY.get(key)
        if until is not None and until <= time.monotonic():
            del READY[key]
            return False
        return until is not None


def anything_pending(call, kind):
    with LOCK:
        return any(key[0] == call.account and key[1] == kind for key in READY)


@after("iam", "CreateRole", "CreateInstanceProfile", "AddRoleToInstanceProfile", "CreateServiceLinkedRole", when=on)
def note_new(call, response):
    if response.status != 200:
        return response
    if call.action == "CreateRole":
        delay(call, "role", call.form.get("RoleName", ""))
    elif call.action in ("CreateInstanceProfile", "AddRoleToInstanceProfile"):
        delay(call, "profile", call.form.get("InstanceProfileName", ""))
    elif call.form.get("AWSServiceName") == "ecs.amazonaws.com":
        delay(call, "slr", "ecs")
    return response


@before("ecs", "CreateCluster", "PutClusterCapacityProviders", when=on)
def service_linked_role(call):
    if call.json_body().get("capacityProviders") and pending(call, "slr", "ecs"):
        return aws_error(call, 400, "InvalidParameterException", SLR_MESSAGE)
    return None


# Inside the client-token cache (order above 100): a repeat of a task that started is not refused.
@around("ecs", "RunTask", when=lambda call: on(call) and anything_pending(call, "role"), order=110)
def task_roles(call, forward):
    payload = call.json_body()
    overrides = payload.get("overrides") or {}
    definition = ecs_json(call, "DescribeTaskDefinition", {"taskDefinition": payload.get("taskDefinition", "")})
    definition = definition.get("taskDefinition", {})
    for arn in (overrides.get("executionRoleArn") or definition.get("executionRoleArn"),
                overrides.get("taskRoleArn") or definition.get("taskRoleArn")):
        if arn and pending(call, "role", arn.rsplit("/", 1)[-1]):
            return aws_error(call, 400, "ClientException", ROLE_MESSAGE.format(arn))
    return forward()


@around("ec2", "RunInstances", when=lambda call: on(call) and anything_pending(call, "profile"), order=110)
def instance_profile(call, forward):
    for parameter, kind in (("IamInstanceProfile.Arn", "arn"), ("IamInstanceProfile.Name", "name")):
        value = call.form.get(parameter)
        if value and pending(call, "profile", value.rsplit("/", 1)[-1]):
            label = "ARN" if kind == "arn" else "name"
            return aws_error(call, 400, "InvalidParameterValue", PROFILE_MESSAGE.format(value, kind, label))
    return forward()
