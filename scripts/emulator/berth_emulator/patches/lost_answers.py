"""An answer can be lost after AWS acted on the request: the connection drops (a proxy's idle
timeout, a reset on the way) or the client times out while AWS is still working. The create
happened; the client cannot tell. Retrying a create that has no client token then makes a second
resource; AWS's advice is to use client tokens where an API has them and to check what exists
before creating again.

moto 5.2.1 always answers. With the "lost_answers" behaviour on (realism.py), a seeded share
(`rate`, default 5%) of the answers to creates (`actions`; by default every action whose name
starts with Create, Run or Register) is lost after moto carried the create out: the connection is
closed without an answer, or reset (half each). The hook sits outside every other patch, so the
client-token cache keeps the real answer for a retry with the same token. The per-key `lost` and
`lost-reset` faults (faults.py) do the same on demand.

AWS sources:
- "Ensuring idempotency in Amazon EC2 API requests" (a request may time out or see a connection
  error after it succeeded; a retry with the same client token returns the first result instead
  of creating again), https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
- "Ensuring idempotency" in the Amazon ECS API reference,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html
- Retry behavior in the AWS SDKs (transient errors include connection errors and timeouts, which
  the SDKs retry), https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
"""

import threading

from ..faults import FAULTS, lose_answer
from ..idempotency import fingerprint
from ..realism import REALISM
from ..registry import around

CREATING = ("Create", "Run", "Register")


def is_create(call):
    settings = REALISM.settings(call, "lost_answers")
    if settings is None:
        return False
    actions = settings["actions"]
    return call.action in actions if actions is not None else call.action.startswith(CREATING)


LOST_ONCE = set()  # (account, region, action, fingerprint) of requests whose answer "once" lost
LOCK = threading.Lock()


def lost_before(call):
    """With "once": whether this very request (action and parameters) lost its answer already;
    records it if not."""
    key = (call.account, call.region, call.action, fingerprint(call, ignore=()))
    with LOCK:
        if key in LOST_ONCE:
            return True
        LOST_ONCE.add(key)
        return False


def lose(call, forward):
    answer = forward()
    settings = REALISM.settings(call, "lost_answers")
    if answer.status != 200 or REALISM.chance(call, "lost_answers") >= settings["rate"]:
        return answer
    if settings["once"] and lost_before(call):
        return answer
    fault = "lost" if REALISM.chance(call, "lost_answers") < 0.5 else "lost-reset"
    FAULTS.count(call, fault)
    return lose_answer(fault)


# Outermost (order 10): outside the client-token cache and every check.
for service in ("ec2", "ecs", "iam", "ecr", "logs"):
    around(service, "*", when=is_create, order=10)(lose)
