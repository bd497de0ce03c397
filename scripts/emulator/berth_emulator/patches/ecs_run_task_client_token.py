"""ECS RunTask with a `clientToken` is idempotent: a repeat with the same parameters returns the
first answer and starts no task; a repeat with other parameters is refused (HTTP 400).

moto 5.2.1 ignores the token and starts new tasks on every repeat.

Known difference, kept as it was: AWS refuses the changed repeat with `ConflictException`
(whose `resourceIds` name the tasks the token started) and scopes tokens to a cluster; the
emulator answers `InvalidParameterException` and scopes tokens to the account and region.
Berth's tokens are digests of (scope, step, generation), so it does not reuse one for
another request.

AWS sources:
- the `clientToken` parameter of RunTask ("An identifier that you provide to ensure the
  idempotency of the request. It must be unique and is case sensitive."), and its errors
  (`ConflictException`: "The provided clientToken is already in use with a different RunTask
  request."), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
- "Ensuring idempotency" in the ECS API reference (a retry of a request that completed
  successfully with the same client token and the same parameters succeeds without performing
  any further actions), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html
"""

from ..idempotency import run_once
from ..registry import around


@around("ecs", "RunTask", when=lambda call: call.json_body().get("clientToken"))
def start_once_per_token(call, forward):
    return run_once(call, call.json_body()["clientToken"], forward, "InvalidParameterException")
