"""One AWS API request as the emulator sees it: who signed it (access key, region and service
from the SigV4 credential scope), which moto account it is for, which action, and its
parameters, from a Query form body (EC2, IAM, STS) or a JSON 1.1 body (ECS, ECR, Logs)."""

import json
import re
import urllib.parse

from .accounts import DEFAULT_ACCOUNT

# A note a patch sets when it has decided the caller's permission itself, as AWS decides it,
# where moto would decide it wrongly: the request then goes to moto signed with the account's
# internal (allow-all) key instead of the caller's signature.
SIGN_AS_ACCOUNT = "sign_as_account"

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/")


class Call:
    """A request on its way through the emulator.

    `body` stays the caller's bytes (the signature and client-token fingerprints are over
    them); `forward_body` is what goes to moto, which a patch may rewrite. `notes` carries what
    a patch's hooks tell each other about this one call (e.g. the capacity provider chosen
    before forwarding, reported in the answer after)."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.forward_body = body
        self.notes = {}
        self.access_key, self.region, self.service = credential_scope(headers.get("Authorization", ""))
        self.account = headers.get("x-moto-account-id") or DEFAULT_ACCOUNT
        target = headers.get("X-Amz-Target")
        self.json = target is not None
        self.form = {}
        if target:
            self.action = json_action(target)
        else:
            self.form = parse_form(body)
            self.action = self.form.get("Action", "")

    @property
    def protocol(self):
        return "json" if self.json else "query"

    @property
    def is_form(self):
        return (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded")

    def json_body(self):
        """The caller's JSON body; {} when there is none or it is not JSON."""
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}

    def forward_json(self, payload):
        """Sends `payload` to moto instead of the caller's body (re-signed as the caller)."""
        self.forward_body = json.dumps(payload).encode()


def credential_scope(authorization):
    """(access key id, region, service) from a SigV4 Authorization header; ("", "us-east-1", "")
    when there is none."""
    m = CREDENTIAL_SCOPE.search(authorization or "")
    return (m.group(1), m.group(2), m.group(3)) if m else ("", "us-east-1", "")


def json_action(target):
    """The action of a JSON 1.1 request: `AmazonEC2ContainerServiceV20141113.RunTask` -> RunTask."""
    return target.split(".")[-1]


def parse_form(body):
    """A Query request's form body as {name: first value}, blanks kept."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
