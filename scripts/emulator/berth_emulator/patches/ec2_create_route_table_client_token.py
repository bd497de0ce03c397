"""EC2 CreateRouteTable with a `ClientToken` is idempotent: a repeat with the same parameters
returns the first route table and makes none; a repeat with other parameters fails with
`IdempotentParameterMismatch` (HTTP 400).

moto 5.2.1 accepts the token and ignores it: every repeat makes another route table, so a retry
after a lost answer would leave two.

AWS sources:
- the `ClientToken` parameter of CreateRouteTable ("Unique, case-sensitive identifier that you
  provide to ensure the idempotency of the request."),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRouteTable.html
- "Ensuring idempotency in Amazon EC2 API requests",
  https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
"""

from ..idempotency import run_once
from ..registry import around


@around("ec2", "CreateRouteTable", when=lambda call: call.form.get("ClientToken"))
def create_once_per_token(call, forward):
    return run_once(call, call.form["ClientToken"], forward, "IdempotentParameterMismatch")
