"""Fault injection and request counters, per access key id (so parallel tests, each with a key
of its own, never disturb each other).

A key's configuration (`POST /__berth/faults`): `plan`, faults consumed one per request
("throttle", "reset", "500", "503", "slow", "auth", "dependency", "lost", "lost-reset", or "ok"
for none); then
`rates`, the chance of each fault per request; `slow_seconds`, the delay of "slow";
`actions`, the only actions faults apply to. Counters (`GET /__berth/stats`): requests,
requests forwarded to moto, faults injected, requests per action, and answers refused with
401/403 per action."""

import json
import random
import threading

from .responses import Response, aws_error

FAULT_NAMES = ("throttle", "reset", "500", "503", "slow", "auth", "dependency", "lost", "lost-reset", "ok")
LOST_ANSWERS = ("lost", "lost-reset")


def new_stats():
    return {"requests": 0, "forwarded": 0, "faults": {}}


class Faults:
    def __init__(self, rng=random.random):
        self.lock = threading.Lock()
        self.rng = rng
        self.config = {}
        self.stats = {}

    def set(self, key, config):
        with self.lock:
            config = dict(config)
            config["plan"] = list(config.get("plan", []))
            self.config[key] = config
            self.stats[key] = {**new_stats(), "actions": {}}

    def clear(self, key):
        with self.lock:
            self.config.pop(key, None)

    def stats_for(self, key):
        with self.lock:
            stats = self.stats.get(key, new_stats())
            return json.loads(json.dumps({"actions": {}, "denied": {}, **stats}))

    def next_fault(self, call):
        """(fault, slow seconds) to inject for this call, or (None, 0); counts the request."""
        with self.lock:
            stats = self.stats.setdefault(call.access_key, new_stats())
            stats["requests"] += 1
            if call.action:
                name = f"{call.service}:{call.action}"
                actions = stats.setdefault("actions", {})
                actions[name] = actions.get(name, 0) + 1
            config = self.config.get(call.access_key)
            if not config:
                return None, 0
            actions = config.get("actions")
            if actions and call.action not in actions:
                return None, 0
            fault = None
            if config["plan"]:
                fault = config["plan"].pop(0)
            else:
                for name, rate in config.get("rates", {}).items():
                    if self.rng() < float(rate):
                        fault = name
                        break
            if fault in (None, "ok"):
                return None, 0
            stats["faults"][fault] = stats["faults"].get(fault, 0) + 1
            return fault, float(config.get("slow_seconds", 2.0))

    def count(self, call, fault):
        """Counts a fault a patch injected (a realism behaviour's lost answer)."""
        with self.lock:
            faults = self.stats.setdefault(call.access_key, new_stats())["faults"]
            faults[fault] = faults.get(fault, 0) + 1

    def answered(self, call, status):
        """Counts the calls refused for authentication or permission, per action."""
        if status not in (401, 403) or not call.access_key:
            return
        with self.lock:
            stats = self.stats.setdefault(call.access_key, new_stats())
            denied = stats.setdefault("denied", {})
            name = f"{call.service}:{call.action}"
            denied[name] = denied.get(name, 0) + 1

    def forwarded(self, call):
        with self.lock:
            self.stats.setdefault(call.access_key, new_stats())["forwarded"] += 1


def injected_answer(call, fault):
    """What the caller gets instead of going to moto for an injected fault; None for "slow" (a
    delay, then the real answer), the lost answers (the request takes effect, then its answer
    is lost: `lose_answer`) and no fault."""
    if fault == "reset":
        return Response.connection_reset()
    if fault == "throttle":
        return throttle_error(call)
    if fault == "auth":
        return auth_error(call)
    if fault == "dependency":
        return aws_error(call, 400, "DependencyViolation", "resource has a dependent object (injected)")
    if fault in ("500", "503"):
        return server_error(call, int(fault))
    return None


def lose_answer(fault):
    """After the request took effect, no answer: for "lost" the connection is closed in order
    (a FIN, as an idle-timeout proxy does; libcurl re-sends a request by itself when that
    happens on a kept-alive connection), for "lost-reset" it is reset (a TCP RST)."""
    return Response.connection_reset() if fault == "lost-reset" else Response.connection_closed()


def throttle_error(call):
    """Throttling in each protocol's shape."""
    if call.json:
        return aws_error(call, 400, "ThrottlingException", "Rate exceeded")
    if call.service == "ec2":
        return aws_error(call, 503, "RequestLimitExceeded", "Request limit exceeded.")
    return aws_error(call, 400, "Throttling", "Rate exceeded")


def auth_error(call):
    """What AWS answers a key it does not know."""
    if call.service == "ec2":
        return aws_error(call, 401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    return aws_error(call, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def server_error(call, status):
    if status == 503:
        return aws_error(call, 503, "ServiceUnavailable", "Service is unavailable (injected)")
    code = "InternalError" if call.service == "ec2" else (
        "com.amazonaws.ecs#ServerException" if call.json else "InternalFailure")
    return aws_error(call, 500, code, "We encountered an internal error (injected)")


FAULTS = Faults()
