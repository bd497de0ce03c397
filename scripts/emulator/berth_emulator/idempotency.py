"""The client-token cache: a create that carries a client token runs once; a repeat with the
same parameters gets the first answer again, a repeat with other parameters an error, as AWS
does (moto 5.2.1 ignores the tokens and creates again). The patches that use it say which
actions and which error (patches/ec2_run_instances_client_token.py,
patches/ecs_run_task_client_token.py).

Entries are kept per (account, region, action, token) for the emulator's lifetime; only
successful answers are kept, so a failed create can be retried with the same token."""

import hashlib
import json
import threading

from .responses import aws_error

MISMATCH_MESSAGE = "The client token has already been used with different request parameters."
TOKEN_PARAMETERS = frozenset({"ClientToken", "clientToken"})


class Idempotency:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}  # key -> (fingerprint, Response)
        self.key_locks = {}

    def lock_for(self, key):
        """One lock per key: concurrent repeats of one token wait for the first to finish."""
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())

    def get(self, key):
        with self.lock:
            return self.entries.get(key)

    def put(self, key, value):
        with self.lock:
            self.entries[key] = value


CACHE = Idempotency()


def fingerprint(call, ignore=TOKEN_PARAMETERS):
    """A digest of the caller's parameters, the token itself left out."""
    if call.json:
        payload = {k: v for k, v in call.json_body().items() if k not in ignore}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    items = sorted((k, v) for k, v in call.form.items() if k not in ignore)
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def run_once(call, token, forward, mismatch_code, cache=CACHE):
    """Runs `forward()` once per token: replays its success for the same parameters, answers
    `mismatch_code` (HTTP 400) for different ones."""
    key = (call.account, call.region, call.action, token)
    mark = fingerprint(call)
    with cache.lock_for(key):
        known = cache.get(key)
        if known:
            if known[0] != mark:
                return aws_error(call, 400, mismatch_code, MISMATCH_MESSAGE)
            return known[1]
        answer = forward()
        if 200 <= answer.status < 300:
            cache.put(key, (mark, answer))
        return answer
