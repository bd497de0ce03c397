"""The control API under /__berth/, on the emulator's own port (JSON in and out), for tests and
scripts:

  POST   /__berth/faults    {"key": AKID, "plan": ["throttle", "reset", "500", "503", "slow", "auth",
                             "dependency", "lost", "lost-reset", "ok"], "rates": {"throttle": 0.2}, "slow_seconds": 2.0,
                             "actions": ["DescribeVpcs"]}       (see faults.py)
  DELETE /__berth/faults?key=AKID
  GET    /__berth/stats?key=AKID  -> {"requests": n, "forwarded": n, "faults": {...},
                                    "actions": {"ec2:CreateVpc": n}, "denied": {"ecs:RunTask": n}}
  POST   /__berth/accounts  {"key": AKID, "account": "123456789012"}: that key's requests go to
                            that moto account. Optional "secret": the emulator may check and
                            re-sign that key's requests; with "internal": true it also signs its
                            own calls in that account with this key (needed when moto checks auth).
  POST   /__berth/realism   {"consistency": {...} | true | false, ..., "seed": n}: the default realism
                            (replaced whole); with "key": AKID, the behaviours named change for
                            that key only (see realism.py)
  GET    /__berth/realism[?key=AKID] -> the realism in force (for that key)
  DELETE /__berth/realism?key=AKID   -> the key follows the default again
  GET    /__berth/health

New endpoints register with `@route(path, *methods)`; a handler gets (query, body) and
returns a Response. Bad input is answered 400 with {"error": "..."} saying what is allowed.
"""

import json
import urllib.parse

from .accounts import ACCOUNTS
from .faults import FAULT_NAMES, FAULTS
from .realism import REALISM, RealismError
from .responses import Response, json_answer

PREFIX = "/__berth/"
OK = Response(200, {"Content-Type": "application/json"}, b'{"status":"ok"}')
ROUTES = {}  # (path, method) -> handler; method None: any method


class BadInput(ValueError):
    pass


def route(path, *methods):
    def register(handler):
        for method in methods or (None,):
            ROUTES[(path, method)] = handler
        return handler
    return register


def handle(method, raw_path, body):
    url = urllib.parse.urlparse(raw_path)
    handler = ROUTES.get((url.path, method)) or ROUTES.get((url.path, None))
    if handler is None:
        return Response(404, {"Content-Type": "text/plain"}, b"unknown control path")
    try:
        return handler(urllib.parse.parse_qs(url.query), body)
    except (BadInput, RealismError) as error:
        return json_answer(400, {"error": str(error)})


def json_object(body):
    try:
        document = json.loads(body or b"{}")
    except ValueError as error:
        raise BadInput(f"the body is not JSON ({error}): {body[:80]!r}")
    if not isinstance(document, dict):
        raise BadInput(f"the body must be a JSON object, not {type(document).__name__}")
    return document


def key_param(query):
    return (query.get("key") or [""])[0]


@route("/__berth/health")
def health(query, body):
    return OK


@route("/__berth/faults", "POST")
def set_faults(query, body):
    config = json_object(body)
    if not isinstance(config.get("plan", []), list) or not isinstance(config.get("rates", {}), dict):
        raise BadInput('"plan" must be a list of fault names and "rates" an object {fault name: chance}')
    names = config.get("plan", []) + list(config.get("rates", {}))
    unknown = sorted({str(name) for name in names if name not in FAULT_NAMES})
    if unknown:
        raise BadInput(f"unknown fault {', '.join(unknown)}; allowed: {', '.join(FAULT_NAMES)}")
    FAULTS.set(config.get("key", key_param(query)), config)
    return OK


@route("/__berth/faults", "DELETE")
def clear_faults(query, body):
    FAULTS.clear(key_param(query))
    return OK


@route("/__berth/stats")
def stats(query, body):
    return json_answer(200, FAULTS.stats_for(key_param(query)))


@route("/__berth/accounts", "POST")
def register_account(query, body):
    config = json_object(body)
    if not config.get("key") or not config.get("account"):
        raise BadInput('give "key" (an access key id) and "account" (a 12-digit moto account id)')
    ACCOUNTS.register(config["key"], str(config["account"]), config.get("secret"), bool(config.get("internal")))
    return OK


def realism_view(settings):
    """The realism in force, JSON-ready (capacity entries' monotonic "until" left out)."""
    for entries in ((settings.get("capacity") or {}).get(kind, []) for kind in ("instances", "fargate")):
        for entry in entries:
            entry.pop("until", None)
    return settings


@route("/__berth/realism", "POST")
def set_realism(query, body):
    config = json_object(body)
    REALISM.configure(config, key=config.get("key") or key_param(query) or None)
    return OK


@route("/__berth/realism", "GET")
def get_realism(query, body):
    return json_answer(200, realism_view(REALISM.effective(key_param(query) or None)))


@route("/__berth/realism", "DELETE")
def clear_realism(query, body):
    if not key_param(query):
        raise BadInput("give ?key=AKID; to turn the default off, POST {} without a key")
    REALISM.clear(key_param(query))
    return OK
