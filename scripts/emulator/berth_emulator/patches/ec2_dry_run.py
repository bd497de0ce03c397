"""EC2 DryRun: every EC2 request with DryRun=true is answered here and never reaches moto.

AWS checks the caller's permission and does nothing else: HTTP 412 `DryRunOperation`
("Request would have succeeded, but DryRun flag is set.") when the caller may call the action,
403 `UnauthorizedOperation` when not, 401 `AuthFailure` for a key or signature it refuses.

moto 5.2.1 honours DryRun in only about a third of its EC2 handlers (those that call its
`error_on_dryrun`): it runs CreateVpc, CreateSubnet, CreateRouteTable, CreateRoute,
ModifyVpcAttribute, DeleteVpc and others for real and answers 200 (a dry-run CreateVpc leaves
a VPC).

Who may call what: with the auth moto's checks off, everyone. With them on (found by asking
moto about a key it cannot know), the caller's IAM policies are read through the account's
internal key and decided as moto decides the real call (iam_policies.py); without an internal
key registered for the account the emulator cannot read them and answers DryRunOperation.

AWS sources:
- the `DryRun` parameter of the EC2 actions ("Checks whether you have the required permissions
  for the action, without actually making the request, and provides an error response. If you
  have the required permissions, the error response is `DryRunOperation`. Otherwise, it is
  `UnauthorizedOperation`."), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html
- the common client errors of the EC2 API (`DryRunOperation`: "The user has the required
  permissions, so the request would have succeeded, but the DryRun parameter was used.";
  `UnauthorizedOperation`; client errors come with 4xx statuses),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
- the status, 412 Precondition Failed, and the message text as AWS sends them, in a captured
  AWS response in https://github.com/getmoto/moto/issues/1980 (moto matched its status to it in
  https://github.com/getmoto/moto/pull/4270).
"""

from .. import sigv4, upstream
from ..accounts import ACCOUNTS
from ..iam_policies import policies_allow, user_policies
from ..registry import before
from ..responses import aws_error
from ..upstream import UpstreamError


def is_dry_run(call):
    return call.form.get("DryRun", "").lower() == "true"


# First of all: a dry run must not reach the other patches, which act on moto's state.
@before("ec2", "*", when=is_dry_run, order=0)
def answer_dry_run(call):
    verdict = permission(call)
    if verdict == "auth":
        return aws_error(call, 401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    if verdict == "denied":
        return aws_error(call, 403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
    return aws_error(call, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")


def permission(call):
    """"allowed", "denied" or "auth" (key or signature refused), as moto's checks would decide
    the real call."""
    if not upstream.checks_auth(call):
        return "allowed"
    if sigv4.signature_valid(call, ACCOUNTS.secret_of(call.access_key)) is False:
        return "auth"
    if not ACCOUNTS.internal_key_of(call.account):
        return "allowed"
    try:
        user = upstream.query(call, "iam", "GetAccessKeyLastUsed", {"AccessKeyId": call.access_key}).findtext(".//UserName")
    except UpstreamError:
        return "auth"
    if not user:
        return "auth"
    return "allowed" if policies_allow(user_policies(call, user), f"ec2:{call.action}") else "denied"
