"""IAM authorizes a call against the resource it names and the condition keys of the request:
CreateRole, TagRole and AttachRolePolicy against the role's ARN
(arn:aws:iam::<account>:role/<path><name>, the role to be made included), the instance profile
actions (CreateInstanceProfile, TagInstanceProfile, GetInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, DeleteInstanceProfile) against the profile's ARN
(arn:aws:iam::<account>:instance-profile/<path><name>), and AttachRolePolicy's `iam:PolicyARN`
condition key against the policy it attaches. So a policy can allow these writes on Berth's own
`berth-*` roles and profiles only, and the one managed policy Berth attaches.

moto 5.2.1 checks an IAM call against the ARN of the role its RoleName names only when that
role exists, and against "*" otherwise: CreateRole and the instance profile calls that name no
role are checked against "*" (a statement scoped to ARNs refuses them, where AWS allows them),
AddRoleToInstanceProfile and RemoveRoleFromInstanceProfile against the role's ARN instead of the
profile's. It takes no condition key from the request but sts:ExternalId, so an `iam:PolicyARN`
condition counts as met (it allows what AWS refuses).

With moto's checks on and the account's internal key registered, the layer decides these calls
itself, as AWS does (the caller's policies read with the internal key, iam_policies.py): a
refused call gets IAM's 403 AccessDenied naming the action and resource; an allowed one goes to
moto signed with the internal key (request.SIGN_AS_ACCOUNT), so moto's own check does not refuse
it. A signature the layer cannot verify (an unknown secret), or a bad one, is left to moto.

AWS sources:
- Actions, resources, and condition keys for IAM (each action's resource type, role or
  instance-profile; `iam:PolicyARN` on AttachRolePolicy),
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
- IAM identifiers (role and instance profile ARNs, with their path),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
- the AccessDenied message ("User: <arn> is not authorized to perform: <action> on resource:
  <arn>"), https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
- condition operators (String/Arn Equals and Like; a key absent from the request does not match),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from .. import sigv4, upstream
from ..accounts import ACCOUNTS
from ..iam_policies import policies_allow, user_policies
from ..registry import before
from ..request import SIGN_AS_ACCOUNT
from ..responses import aws_error
from ..upstream import UpstreamError

ROLE_ACTIONS = ("CreateRole", "TagRole", "AttachRolePolicy")
PROFILE_ACTIONS = ("CreateInstanceProfile", "TagInstanceProfile", "GetInstanceProfile", "AddRoleToInstanceProfile",
                   "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile")


def applies(call):
    return bool(ACCOUNTS.internal_key_of(call.account)) and upstream.checks_auth(call)


def resource(call):
    """The ARN AWS authorizes the call against."""
    if call.action in ROLE_ACTIONS:
        kind, name = "role", call.form.get("RoleName", "")
    else:
        kind, name = "instance-profile", call.form.get("InstanceProfileName", "")
    path = call.form.get("Path", "/") if call.action.startswith("Create") else "/"
    if call.action == "AttachRolePolicy" or call.action == "TagRole":
        try:  # an existing role's ARN carries its path
            found = upstream.query(call, "iam", "GetRole", {"RoleName": name}).findtext(".//Arn")
            if found:
                return found
        except UpstreamError:
            pass
    return f"arn:aws:iam::{call.account}:{kind}{path}{name}"


@before("iam", *ROLE_ACTIONS, *PROFILE_ACTIONS, when=applies, order=60)
def authorize(call):
    if sigv4.signature_valid(call, ACCOUNTS.secret_of(call.access_key)) is not True:
        return None  # moto checks (and refuses) what the layer cannot
    try:
        user = upstream.query(call, "iam", "GetAccessKeyLastUsed", {"AccessKeyId": call.access_key}).findtext(".//UserName")
    except UpstreamError:
        return None
    if not user:
        return None
    arn = resource(call)
    context = {"iam:PolicyARN": call.form["PolicyArn"]} if "PolicyArn" in call.form else {}
    if not policies_allow(user_policies(call, user), f"iam:{call.action}", resource=arn, context=context):
        return aws_error(call, 403, "AccessDenied",
                         f"User: arn:aws:iam::{call.account}:user/{user} is not authorized to perform: iam:{call.action} "
                         f"on resource: {arn}")
    call.notes[SIGN_AS_ACCOUNT] = True
    return None
