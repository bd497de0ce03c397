"""The patch registry: which hooks run for a request, and in what order.

A patch is one module in patches/ (its name is the patch's name). It registers hooks with the
decorators below, each for one service and one or more actions ("*": every action of the
service), optionally narrowed by `when(call)`:

    @before("ec2", "DeleteVpc")                      # fn(call) -> Response or None
    @around("ecs", "RunTask", when=has_token)        # fn(call, forward) -> Response
    @after("ecs", "DescribeTasks")                   # fn(call, response) -> Response

A hook applies only to requests in its service's protocol (EC2 hooks to Query requests, ECS
hooks to JSON 1.1 ones). For one request, `Registry.handle` runs:
  1. the `before` hooks in order: the first that returns a Response answers the caller, and
     nothing is forwarded; one that returns None lets the request go on (it may have rewritten
     `call.forward_body`);
  2. the `around` hooks, the first outermost: each gets `forward()` for the rest of the chain
     and may call it once, or answer without it (the client-token cache does both);
  3. the request is forwarded to moto;
  4. the `after` hooks in order, each given the answer so far and returning the answer.
Hooks of one phase run in `order` (lower first, default 100), then in the order registered
(modules load alphabetically). A hook that raises turns into HTTP 500 `InternalError` naming
the error.
"""

import functools
from dataclasses import dataclass
from typing import Callable, FrozenSet, Optional

BEFORE, AROUND, AFTER = "before", "around", "after"
PHASES = (BEFORE, AROUND, AFTER)
ALL_ACTIONS = "*"
DEFAULT_ORDER = 100

# The services Berth calls, by the SigV4 signing name, and the protocol each speaks.
SERVICE_PROTOCOLS = {"ec2": "query", "iam": "query", "sts": "query", "ecs": "json", "ecr": "json", "logs": "json"}


@dataclass(frozen=True)
class Hook:
    patch: str
    service: str
    actions: Optional[FrozenSet[str]]  # None: every action
    phase: str
    function: Callable
    when: Optional[Callable] = None
    order: int = DEFAULT_ORDER

    def applies(self, call):
        return (call.service == self.service and call.protocol == SERVICE_PROTOCOLS[self.service]
                and (self.actions is None or call.action in self.actions)
                and (self.when is None or bool(self.when(call))))


class Registry:
    def __init__(self):
        self.hooks = []

    def add(self, hook):
        if hook.phase not in PHASES:
            raise ValueError(f"patch {hook.patch}: phase {hook.phase!r} is not one of {', '.join(PHASES)}")
        if hook.service not in SERVICE_PROTOCOLS:
            raise ValueError(f"patch {hook.patch}: service {hook.service!r} is not one of "
                             f"{', '.join(sorted(SERVICE_PROTOCOLS))} (SigV4 signing names)")
        if hook.actions is not None and (not hook.actions or not all(a and a[0].isupper() for a in hook.actions)):
            raise ValueError(f"patch {hook.patch}: actions {sorted(hook.actions)!r} must be API action names "
                             f"like RunTask, or {ALL_ACTIONS!r}")
        self.hooks.append(hook)
        return hook

    def decorator(self, phase, service, actions, when, order):
        def register(function):
            names = None if ALL_ACTIONS in actions else frozenset(actions)
            patch = function.__module__.rsplit(".", 1)[-1]
            self.add(Hook(patch, service, names, phase, function, when, order))
            return function
        return register

    def before(self, service, *actions, when=None, order=DEFAULT_ORDER):
        """fn(call) -> Response (answer without forwarding) or None (go on)."""
        return self.decorator(BEFORE, service, actions, when, order)

    def around(self, service, *actions, when=None, order=DEFAULT_ORDER):
        """fn(call, forward) -> Response; `forward()` runs the rest of the chain."""
        return self.decorator(AROUND, service, actions, when, order)

    def after(self, service, *actions, when=None, order=DEFAULT_ORDER):
        """fn(call, response) -> Response."""
        return self.decorator(AFTER, service, actions, when, order)

    def hooks_for(self, call, phase):
        # sorted() is stable: equal orders keep their registration order.
        return sorted((h for h in self.hooks if h.phase == phase and h.applies(call)), key=lambda h: h.order)

    def handle(self, call, forward):
        """The answer to `call`: its hooks run around `forward()`, which sends `call.forward_body`
        to moto and returns moto's Response."""
        for hook in self.hooks_for(call, BEFORE):
            answer = hook.function(call)
            if answer is not None:
                return answer
        afters = self.hooks_for(call, AFTER)

        def forward_then_after():
            answer = forward()
            for hook in afters:
                answer = hook.function(call, answer)
            return answer

        chain = forward_then_after
        for hook in reversed(self.hooks_for(call, AROUND)):
            chain = functools.partial(hook.function, call, chain)
        return chain()

    def patches(self):
        """{patch name: its hooks}, for docs and tests."""
        result = {}
        for hook in self.hooks:
            result.setdefault(hook.patch, []).append(hook)
        return result


REGISTRY = Registry()
before = REGISTRY.before
around = REGISTRY.around
after = REGISTRY.after
