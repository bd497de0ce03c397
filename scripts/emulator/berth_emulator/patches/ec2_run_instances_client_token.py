"""EC2 RunInstances with a `ClientToken` is idempotent: a repeat with the same parameters returns
the first answer and launches nothing; a repeat with other parameters fails with
`IdempotentParameterMismatch` (HTTP 400).

moto 5.2.1 ignores the token and launches new instances on every repeat, so a retried launch
(after a lost answer or a timeout) would leave a second instance running.

AWS sources:
- the `ClientToken` parameter of RunInstances ("Unique, case-sensitive identifier you provide to
  ensure the idempotency of the request."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
- "Ensuring idempotency in Amazon EC2 API requests" (a retry with the same client token and
  the same parameters returns the result of the original request; with the same token but
  other parameters it fails with IdempotentParameterMismatch),
  https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
- the common client errors of the EC2 API (`IdempotentParameterMismatch`: "The request uses the
  same client token as a previous, but non-identical request."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from ..idempotency import run_once
from ..registry import around


@around("ec2", "RunInstances", when=lambda call: call.form.get("ClientToken"))
def launch_once_per_token(call, forward):
    return run_once(call, call.form["ClientToken"], forward, "IdempotentParameterMismatch")
