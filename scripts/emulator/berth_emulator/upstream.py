"""moto_server behind the emulator: forwarding a request, and the emulator's own calls.

The patches learn what they need (a cluster's capacity providers, what still uses a subnet,
a user's policies) only through moto's public AWS API, never its internals, so they survive
moto upgrades. Those calls go in the caller's account and region, signed with the account's
internal key when one is registered (a moto that checks auth), else with a dummy signature,
which a moto without auth ignores (it only routes on the credential scope)."""

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.client import HTTPConnection

from . import sigv4
from .accounts import ACCOUNTS
from .responses import Response

ADDRESS = ["127.0.0.1", 5000]
TIMEOUT_SECONDS = 120
QUERY_VERSIONS = {"ec2": "2016-11-15", "iam": "2010-05-08", "sts": "2011-06-15"}
ECS_TARGET = "AmazonEC2ContainerServiceV20141113"


class UpstreamError(RuntimeError):
    """One of the emulator's own calls to moto failed; the caller gets a 500 naming it."""


def configure(url):
    """Points the emulator at moto's base URL, http://HOST:PORT."""
    parsed = urllib.parse.urlparse(url)
    ADDRESS[:] = [parsed.hostname, parsed.port or 80]


def send(method, path, headers, body):
    """Sends one request to moto and returns its answer."""
    conn = HTTPConnection(*ADDRESS, timeout=TIMEOUT_SECONDS)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k: v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def now():
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def internal_headers(call, service, headers, body):
    """Headers for one of the emulator's own calls, in the caller's account and region."""
    date_time = now()
    key, secret = ACCOUNTS.internal_key_of(call.account) or (call.access_key or "AKIDPROXY", None)
    headers = dict(headers)
    headers["Host"] = f"{ADDRESS[0]}:{ADDRESS[1]}"
    headers["X-Amz-Date"] = date_time
    headers["x-moto-account-id"] = call.account
    names = sorted(k.lower() for k in headers if k.lower() != "x-moto-account-id")
    signature = (sigv4.signature("POST", "/", sigv4.lower_headers(headers), names, body, secret, date_time, call.region,
                                 service) if secret else "0")
    headers["Authorization"] = sigv4.authorization(key, date_time, call.region, service, names, signature)
    return headers


def query(call, service, action, params):
    """One of the emulator's own Query calls (EC2, IAM, STS); the answer's XML root."""
    form = {"Action": action, "Version": QUERY_VERSIONS[service]}
    form.update(params)
    body = urllib.parse.urlencode(form).encode()
    headers = internal_headers(call, service, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
    answer = send("POST", "/", headers, body)
    if answer.status != 200:
        raise UpstreamError(f"moto {action} answered {answer.status}: {answer.body[:300]!r}")
    return parse_xml(answer.body)


def ec2_query(call, action, params):
    return query(call, "ec2", action, params)


def ecs_json(call, action, payload):
    """One of the emulator's own ECS calls; the answer as a dict."""
    return json_call(call, "ecs", f"{ECS_TARGET}.{action}", action, payload)


def json_call(call, service, target, action, payload):
    """One of the emulator's own JSON 1.1 calls; the answer as a dict."""
    body = json.dumps(payload).encode()
    headers = internal_headers(call, service, {"Content-Type": "application/x-amz-json-1.1",
                                               "X-Amz-Target": target}, body)
    answer = send("POST", "/", headers, body)
    if answer.status != 200:
        raise UpstreamError(f"moto {action} answered {answer.status}: {answer.body[:300]!r}")
    return json.loads(answer.body or b"{}")


def secret_string(call, secret_id):
    """A Secrets Manager secret's SecretString, read in the caller's account and region (what
    ECS does with a task's execution role, and an instance with its role: the emulation does
    not evaluate their policies)."""
    answer = json_call(call, "secretsmanager", "secretsmanager.GetSecretValue", "GetSecretValue", {"SecretId": secret_id})
    return answer.get("SecretString", "")


def parse_xml(data):
    """An XML answer's root with namespaces stripped from tags, so `findtext("groupId")` works."""
    root = ET.fromstring(data)
    for element in root.iter():
        if "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def filters(**pairs):
    """EC2 Filter.N.Name / Filter.N.Value.M parameters: `vpc_id=...` is `vpc-id`,
    `instance__group_id` is `instance.group-id`."""
    params = {}
    for index, (name, values) in enumerate(pairs.items(), start=1):
        params[f"Filter.{index}.Name"] = name.replace("_", "-").replace("--", ".")
        for vi, value in enumerate(values if isinstance(values, list) else [values], start=1):
            params[f"Filter.{index}.Value.{vi}"] = value
    return params


def checks_auth(call):
    """Whether moto verifies keys and policies now (INITIAL_NO_AUTH_ACTION_COUNT, switched at
    run time): only then does it refuse a key it has never seen."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    date_time = now()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "X-Amz-Date": date_time,
               "x-moto-account-id": call.account,
               "Authorization": sigv4.authorization("AKIABERTHPROXYPROBE0", date_time, call.region, "sts",
                                                    ["content-type", "host", "x-amz-date"], "0")}
    return send("POST", "/", headers, body).status in (401, 403)
