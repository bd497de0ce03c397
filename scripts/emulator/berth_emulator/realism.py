"""AWS realism: how real AWS makes a client's life harder than moto does, one behaviour per patch
module, each off unless configured. This module holds their configuration; the patches
(patches/ec2_eventual_consistency.py and the others named in BEHAVIOURS) read it per request.

The configuration is a JSON object {behaviour: settings | true | false, "seed": n}; true means
the behaviour with its default settings, a partial object is merged over the defaults. The
process-wide default comes from `--realism SPEC` (scripts/emulator/start --realism SPEC) and
`POST /__berth/realism` without a key; a test may change behaviours for its own access key
(`POST /__berth/realism {"key": AKID, ...}`: the behaviours it names replace the default's, the
others stay as the default has them). SPEC is "off", "all" (every behaviour with its defaults),
a comma-separated list of behaviour names, or a JSON object.

Random choices (a new id's consistency window, a role's propagation delay, which answers are
lost) are drawn from the seed, so a run can be repeated."""

import copy
import json
import random
import threading
import time

# behaviour -> (its patch modules, default settings). Settings are checked against the defaults'
# types; "seconds" pairs must be ordered.
BEHAVIOURS = {
    # A new EC2 id is unknown to other calls for a while (per id, uniform in [min, max]).
    "consistency": ("ec2_eventual_consistency", {"min_seconds": 0.0, "max_seconds": 2.0, "hide_from_filters": True}),
    # A new IAM role, instance profile or the ECS service-linked role is unusable for a while.
    "propagation": ("iam_propagation", {"min_seconds": 3.0, "max_seconds": 10.0}),
    # Per account and region.
    "quotas": ("ec2_quotas, ecs_fargate_limits", {
        "vpcs": 5, "internet_gateways": 5,
        "on_demand_vcpus": {"standard": 64, "g": 16, "p": 8},
        "spot_vcpus": {"standard": 64, "g": 16, "p": 8},
        "fargate_vcpus": 64, "fargate_spot_vcpus": 64,
    }),
    # Capacity failures for chosen instance types and zones, and for Fargate in chosen zones.
    # instances: [{"instance_type": "m6i.large" | "*", "zone": "us-east-2a" | "*",
    #              "code": "InsufficientInstanceCapacity" | "Unsupported", "seconds": null | n}]
    # fargate:   [{"zone": "us-east-2a" | "*", "spot_only": false, "seconds": null | n}]
    "capacity": ("ec2_capacity, ecs_fargate_limits", {"instances": [], "fargate": []}),
    # Local Zones and Wavelength Zones the account opted into, in DescribeAvailabilityZones.
    "local_zones": ("ec2_local_zones", {}),
    # A stopped Fargate task's network interface lingers, holding its security group and subnet.
    "eni_linger": ("ecs_eni_linger", {"min_seconds": 5.0, "max_seconds": 30.0}),
    # The answer to a create is lost after the create took effect (null actions: every action
    # whose name starts with Create, Run or Register). once: at most one lost answer per
    # distinct request (the same action and parameters, a client token included), so that a
    # repeat of the same request (a retry with its token) is answered: with rate 1, every
    # create's first answer is lost.
    "lost_answers": ("lost_answers", {"rate": 0.05, "actions": None, "once": False}),
}
CAPACITY_CODES = ("InsufficientInstanceCapacity", "Unsupported")


class RealismError(ValueError):
    """A configuration that is not understood; the message says what is allowed."""


def parse_spec(text):
    """A --realism SPEC as a configuration object."""
    text = (text or "").strip()
    if text in ("", "off", "none"):
        return {}
    if text == "all":
        return {name: True for name in BEHAVIOURS}
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise RealismError(f"--realism is not valid JSON ({error}): {text[:80]!r}")
    return {name.strip(): True for name in text.split(",") if name.strip()}


def normalize(config, now=None):
    """Checks a configuration and fills in defaults: {behaviour: settings} for the behaviours
    on, plus "seed". Capacity entries with "seconds" get an absolute "until" (monotonic)."""
    if not isinstance(config, dict):
        raise RealismError(f"realism must be a JSON object, not {type(config).__name__}")
    now = time.monotonic() if now is None else now
    result = {"seed": config.get("seed", 0)}
    if not isinstance(result["seed"], int) or isinstance(result["seed"], bool):
        raise RealismError(f'"seed" must be an integer, got {result["seed"]!r}')
    for name, value in config.items():
        if name in ("seed", "key"):
            continue
        if name not in BEHAVIOURS:
            raise RealismError(f"unknown behaviour {name!r}; allowed: {', '.join(BEHAVIOURS)} (and \"seed\")")
        if value is False or value is None:
            result[name] = None
            continue
        defaults = copy.deepcopy(BEHAVIOURS[name][1])
        if value is True:
            value = {}
        if not isinstance(value, dict):
            raise RealismError(f"{name} must be true, false or an object of settings, got {value!r}")
        result[name] = merge(name, defaults, value)
    for name, settings in result.items():
        if name == "capacity" and settings:
            settings["instances"] = [capacity_entry(e, now, instance=True) for e in settings["instances"]]
            settings["fargate"] = [capacity_entry(e, now, instance=False) for e in settings["fargate"]]
    return result


def merge(path, defaults, given):
    for key, value in given.items():
        if key not in defaults:
            raise RealismError(f"unknown setting {path}.{key}; allowed: {', '.join(defaults) or 'none'}")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise RealismError(f"{path}.{key} must be an object like {json.dumps(default)}, got {value!r}")
            defaults[key] = merge(f"{path}.{key}", default, value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise RealismError(f"{path}.{key} must be true or false, got {value!r}")
            defaults[key] = value
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RealismError(f"{path}.{key} must be a number >= 0, got {value!r}")
            defaults[key] = value
        elif isinstance(default, list) or (default is None and key == "actions"):
            if value is not None and not isinstance(value, list):
                raise RealismError(f"{path}.{key} must be a list, got {value!r}")
            defaults[key] = value
        else:
            defaults[key] = value
    if defaults.get("min_seconds", 0) > defaults.get("max_seconds", float("inf")):
        raise RealismError(f"{path}: min_seconds must not exceed max_seconds")
    if "rate" in defaults and defaults["rate"] > 1:
        raise RealismError(f"{path}.rate is a chance between 0 and 1, got {defaults['rate']!r}")
    return defaults


def capacity_entry(entry, now, instance):
    allowed = {"instance_type", "zone", "code", "seconds", "until"} if instance else {"zone", "spot_only", "seconds", "until"}
    if not isinstance(entry, dict) or set(entry) - allowed:
        raise RealismError(f"a capacity entry is an object with {', '.join(sorted(allowed - {'until'}))}, got {entry!r}")
    entry = dict(entry)
    entry.setdefault("zone", "*")
    if instance:
        entry.setdefault("instance_type", "*")
        entry.setdefault("code", "InsufficientInstanceCapacity")
        if entry["code"] not in CAPACITY_CODES:
            raise RealismError(f"capacity code {entry['code']!r}; allowed: {', '.join(CAPACITY_CODES)}")
    else:
        entry.setdefault("spot_only", False)
    seconds = entry.get("seconds")
    if "until" not in entry:
        entry["until"] = None if seconds is None else now + float(seconds)
    return entry


class Realism:
    def __init__(self):
        self.lock = threading.Lock()
        self.default = {"seed": 0}
        self.per_key = {}  # access key id -> the behaviours it changes
        self.rngs = {}

    def configure(self, config, key=None):
        """Sets the default (no key: replaced whole) or a key's changes (merged over the default)."""
        normalized = normalize(config)
        with self.lock:
            if key:
                self.per_key[key] = {name: value for name, value in normalized.items() if name != "seed" or "seed" in config}
            else:
                self.default = normalized
            self.rngs.clear()

    def clear(self, key):
        with self.lock:
            self.per_key.pop(key, None)

    def effective(self, key=None):
        """{behaviour: settings or None, "seed": n} for requests signed with `key`."""
        with self.lock:
            result = {name: None for name in BEHAVIOURS}
            result.update(copy.deepcopy(self.default))
            result.update(copy.deepcopy(self.per_key.get(key, {})))
            return result

    def settings(self, call, behaviour):
        """The behaviour's settings for this request, or None when it is off."""
        with self.lock:
            overrides = self.per_key.get(call.access_key, {})
            return overrides[behaviour] if behaviour in overrides else self.default.get(behaviour)

    def on(self, behaviour):
        """A `when=` predicate: the hook runs only while the behaviour is on for the caller."""
        return lambda call: self.settings(call, behaviour) is not None

    def seed(self, call):
        with self.lock:
            return self.per_key.get(call.access_key, {}).get("seed", self.default.get("seed", 0))

    def delay(self, call, behaviour, *parts):
        """A seeded draw in [min_seconds, max_seconds] for one thing (a new id, a new role):
        the same seed and thing give the same delay."""
        settings = self.settings(call, behaviour) or {}
        low, high = float(settings.get("min_seconds", 0)), float(settings.get("max_seconds", 0))
        return random.Random(":".join([str(self.seed(call)), behaviour, *map(str, parts)])).uniform(low, high)

    def chance(self, call, behaviour):
        """The next draw in [0, 1) of a seeded stream per (seed, behaviour, key)."""
        with self.lock:
            key = (self.per_key.get(call.access_key, {}).get("seed", self.default.get("seed", 0)), behaviour, call.access_key)
            rng = self.rngs.setdefault(key, random.Random(":".join(map(str, key))))
            return rng.random()


REALISM = Realism()
