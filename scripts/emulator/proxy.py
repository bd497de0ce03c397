#!/usr/bin/env python3
"""Berth's front for moto_server: fault injection plus the AWS behaviour moto lacks.

Stdlib only. Listens on 127.0.0.1 (--host to change), forwards everything to moto, and
- injects faults per access key id (so parallel tests do not disturb each other):
  throttling errors in each protocol's shape, 500, 503, connection resets, slow answers;
- makes RunInstances `ClientToken` and ECS RunTask `clientToken` idempotent;
- runs ECS tasks with a capacity provider strategy (FARGATE / FARGATE_SPOT), or the
  cluster's default strategy, instead of moto's HTTP 500;
- answers DependencyViolation for DeleteSecurityGroup / DeleteSubnet / DeleteVpc /
  DeleteInternetGateway while something still uses the resource;
- answers every EC2 request with DryRun=true itself, as AWS does: 412 DryRunOperation when
  the caller may call the action, 403 UnauthorizedOperation when not (moto runs most
  actions for real despite DryRun).

In front of a moto that checks signatures and IAM policies (scripts/emulator/start runs a
second proxy for that one), three things keep the patches honest:
- moto checks the signature of a form body (EC2, IAM, STS) over its own re-encoding of the
  parsed form, with spaces as '+'; a body that escapes a space as %20 (Berth's, valid in AWS)
  fails there. For keys whose secret is registered, the proxy sends the form as moto will
  re-encode it, re-signed as below;
- a request the proxy rewrites (that, or RunTask with a capacity provider strategy) is re-signed as the
  caller, but only after the proxy has checked the caller's original signature with the
  secret registered for that key; otherwise it goes on with the old signature, so moto
  refuses it as it would the original. moto then checks the caller's own policy;
- the proxy's own calls (DescribeClusters, ListTasks, DescribeInstances, ...) are signed
  with the "internal" key registered for the account, so they are emulator business and
  never need (or show up in) the caller's permissions.

The patches talk to moto only through its public AWS API (never its internals), so
they survive moto upgrades; tests/AWSTests/EmulatorPatchTests show each difference.

Control API (JSON), on the same port:
  POST   /__berth/faults  {"key": AKID, "plan": ["throttle", "reset", "500", "503",
                           "slow", "auth", "dependency", "ok"], "rates": {"throttle": 0.2, ...},
                           "slow_seconds": 2.0, "actions": ["DescribeVpcs"]}
  DELETE /__berth/faults?key=AKID
  GET    /__berth/stats?key=AKID   -> {"requests": n, "forwarded": n, "faults": {...},
                                     "actions": {"ec2:CreateVpc": n, ...},
                                     "denied": {"ecs:RunTask": n, ...}}  (answered 401/403)
  POST   /__berth/accounts {"key": AKID, "account": "123456789012"}: that key's requests go
                           to that moto account (tests give each tenant an account of its own).
                           Optional "secret": lets the proxy re-sign that key's rewritten
                           requests; with "internal": true the proxy also signs its own calls
                           in that account with this key (needed when moto checks auth).
  GET    /__berth/health
"""

import argparse
import hashlib
import hmac
import json
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = ("127.0.0.1", 5000)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length", "server", "date"}
DEFAULT_ACCOUNT = "123456789012"


# ---------------------------------------------------------------- request model

class Call:
    """One AWS API request as the proxy sees it."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        auth = headers.get("Authorization", "")
        m = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/", auth)
        self.access_key = m.group(1) if m else ""
        self.region = m.group(2) if m else "us-east-1"
        self.service = m.group(3) if m else ""
        self.account = headers.get("x-moto-account-id") or DEFAULT_ACCOUNT
        target = headers.get("X-Amz-Target")
        self.json = target is not None
        self.form = {}
        if target:
            self.action = target.split(".")[-1]
        else:
            self.form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                                   keep_blank_values=True).items()}
            self.action = self.form.get("Action", "")

    def json_body(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


# ---------------------------------------------------------------- responses

def aws_error(call, status, code, message):
    """An error in the shape the service's protocol uses."""
    rid = str(uuid.uuid4())
    if call.json:
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid,
                        "x-amzn-ErrorType": code}, body
    if call.service == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{xml_escape(message)}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
    else:
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{xml_escape(message)}"
                f"</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body.encode()


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def throttle_response(call):
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


# ---------------------------------------------------------------- moto client

def moto(method, path, headers, body):
    """Sends one request to moto; returns (status, headers dict, body)."""
    conn = HTTPConnection(*UPSTREAM, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k: v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


# ---- SigV4, for the proxy's own calls and for re-signing rewritten requests

def sigv4_signature(method, path, headers, signed_names, body, secret, date_time, region, service):
    """The SigV4 signature of a request; `headers` maps lower-case names to values."""
    url = urllib.parse.urlparse(path)
    query = sorted((urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                   for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    canonical_headers = "".join(f"{name}:{' '.join(str(headers.get(name, '')).split())}\n" for name in signed_names)
    canonical = "\n".join([method, url.path or "/", "&".join(f"{k}={v}" for k, v in query), canonical_headers,
                           ";".join(signed_names), hashlib.sha256(body).hexdigest()])
    scope = f"{date_time[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date_time, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date_time[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def lower_headers(headers):
    return {k.lower(): v for k, v in headers.items()}


def signed_names_of(authorization):
    m = re.search(r"SignedHeaders=([^,\s]+)", authorization or "")
    return m.group(1).split(";") if m else []


def resigned_headers(call, headers, new_body):
    """Headers for forwarding `new_body` (a patch's rewrite of the caller's request): signed
    again as the caller when the proxy knows the caller's secret and the original signature
    is right; otherwise unchanged (moto without auth ignores signatures, moto with auth then
    refuses the request, as it would have refused the original)."""
    if signature_valid(call) is not True:
        return headers
    secret = secret_of_key(call.access_key)
    auth = call.headers.get("Authorization", "")
    signature = sigv4_signature(call.method, call.path, lower_headers(call.headers), signed_names_of(auth), new_body, secret,
                                call.headers.get("X-Amz-Date", ""), call.region, call.service)
    result = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    result["Authorization"] = re.sub(r"Signature=[0-9a-f]+", f"Signature={signature}", auth)
    return result


def signature_valid(call):
    """Whether the caller's signature is right; None when the proxy does not know its secret."""
    secret = secret_of_key(call.access_key)
    auth = call.headers.get("Authorization", "")
    names = signed_names_of(auth)
    date_time = call.headers.get("X-Amz-Date", "")
    if not secret or not names or not date_time:
        return None
    m = re.search(r"Signature=([0-9a-f]+)", auth)
    expected = sigv4_signature(call.method, call.path, lower_headers(call.headers), names, call.body, secret, date_time,
                               call.region, call.service)
    return bool(m) and hmac.compare_digest(m.group(1), expected)


def is_form(call):
    return (call.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded")


def moto_form_encoding(body):
    """A form body as moto re-encodes it when it checks the signature (it signs the parsed
    form again, urlencoded: spaces as '+'). Same parameters; a request that escapes a space
    as %20, which AWS accepts, would otherwise fail moto's check."""
    pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return urllib.parse.urlencode(pairs).encode()


def internal_headers(call, service, headers, body):
    """Headers for the proxy's own calls to moto, in the caller's account and region.
    Signed with the account's internal key when one is registered (moto checks auth);
    otherwise a dummy signature, which moto without auth ignores (it routes on the
    credential scope)."""
    date_time = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    key, secret = internal_key_of(call.account) or (call.access_key or "AKIDPROXY", None)
    headers = dict(headers)
    headers["Host"] = f"{UPSTREAM[0]}:{UPSTREAM[1]}"
    headers["X-Amz-Date"] = date_time
    headers["x-moto-account-id"] = call.account
    names = sorted(k.lower() for k in headers if k.lower() != "x-moto-account-id")
    signature = (sigv4_signature("POST", "/", lower_headers(headers), names, body, secret, date_time, call.region, service)
                 if secret else "0")
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{date_time[:8]}/{call.region}/{service}/aws4_request, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


QUERY_VERSIONS = {"ec2": "2016-11-15", "iam": "2010-05-08", "sts": "2011-06-15"}


def query(call, service, action, params):
    """One of the proxy's own Query-protocol calls (EC2, IAM) in the caller's account."""
    form = {"Action": action, "Version": QUERY_VERSIONS[service]}
    form.update(params)
    body = urllib.parse.urlencode(form).encode()
    headers = internal_headers(call, service, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
    status, _, data = moto("POST", "/", headers, body)
    if status != 200:
        raise RuntimeError(f"moto {action} answered {status}: {data[:300]!r}")
    return strip_namespaces(ET.fromstring(data))


def ec2_query(call, action, params):
    return query(call, "ec2", action, params)


def ecs_json(call, action, payload):
    body = json.dumps(payload).encode()
    headers = internal_headers(call, "ecs", {"Content-Type": "application/x-amz-json-1.1",
                                            "X-Amz-Target": f"AmazonEC2ContainerServiceV20141113.{action}"}, body)
    status, _, data = moto("POST", "/", headers, body)
    if status != 200:
        raise RuntimeError(f"moto {action} answered {status}: {data[:300]!r}")
    return json.loads(data or b"{}")


def strip_namespaces(root):
    for element in root.iter():
        if "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def filters(**pairs):
    """EC2 Filter.N.Name / Filter.N.Value.M parameters."""
    params = {}
    for index, (name, values) in enumerate(pairs.items(), start=1):
        params[f"Filter.{index}.Name"] = name.replace("_", "-").replace("--", ".")
        for vi, value in enumerate(values if isinstance(values, list) else [values], start=1):
            params[f"Filter.{index}.Value.{vi}"] = value
    return params


# ---------------------------------------------------------------- faults

class Faults:
    """Fault configuration and counters per access key id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.config = {}
        self.stats = {}

    def set(self, key, config):
        with self.lock:
            config = dict(config)
            config["plan"] = list(config.get("plan", []))
            self.config[key] = config
            self.stats[key] = {"requests": 0, "forwarded": 0, "faults": {}, "actions": {}}

    def clear(self, key):
        with self.lock:
            self.config.pop(key, None)

    def stats_for(self, key):
        with self.lock:
            stats = self.stats.get(key, {"requests": 0, "forwarded": 0, "faults": {}})
            return json.loads(json.dumps({"actions": {}, "denied": {}, **stats}))

    def next_fault(self, call):
        """The fault to inject for this call, or None; counts the request."""
        with self.lock:
            stats = self.stats.setdefault(call.access_key, {"requests": 0, "forwarded": 0, "faults": {}})
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
                    if random.random() < float(rate):
                        fault = name
                        break
            if fault in (None, "ok"):
                return None, 0
            stats["faults"][fault] = stats["faults"].get(fault, 0) + 1
            return fault, float(config.get("slow_seconds", 2.0))

    def answered(self, call, status):
        """Counts the calls refused for authentication or permission, per action."""
        if status not in (401, 403) or not call.access_key:
            return
        with self.lock:
            stats = self.stats.setdefault(call.access_key, {"requests": 0, "forwarded": 0, "faults": {}})
            denied = stats.setdefault("denied", {})
            name = f"{call.service}:{call.action}"
            denied[name] = denied.get(name, 0) + 1

    def forwarded(self, call):
        with self.lock:
            self.stats.setdefault(call.access_key, {"requests": 0, "forwarded": 0, "faults": {}})["forwarded"] += 1


FAULTS = Faults()


# ---------------------------------------------------------------- patches

class Idempotency:
    """Remembers the answer to each (account, region, action, token) so that a retried
    create returns what the first one created, as AWS does, instead of creating again."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}  # key -> (fingerprint, status, headers, body)
        self.key_locks = {}

    def lock_for(self, key):
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())

    def get(self, key):
        with self.lock:
            return self.entries.get(key)

    def put(self, key, value):
        with self.lock:
            self.entries[key] = value


IDEMPOTENCY = Idempotency()
TASK_PROVIDERS = {}  # task ARN -> capacity provider name (moto forgets it)
TASK_PROVIDERS_LOCK = threading.Lock()


def fingerprint(call, ignore):
    if call.json:
        payload = {k: v for k, v in call.json_body().items() if k not in ignore}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    items = sorted((k, v) for k, v in call.form.items() if k not in ignore)
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def idempotent(call, token, forward):
    """Runs `forward` once per token; replays its success for the same parameters,
    answers IdempotentParameterMismatch for different ones."""
    key = (call.account, call.region, call.action, token)
    mark = fingerprint(call, {"ClientToken", "clientToken"})
    with IDEMPOTENCY.lock_for(key):
        known = IDEMPOTENCY.get(key)
        if known:
            if known[0] != mark:
                code = "IdempotentParameterMismatch" if call.service == "ec2" else "InvalidParameterException"
                return aws_error(call, 400, code,
                                 "The client token has already been used with different request parameters.")
            return known[1], known[2], known[3]
        status, headers, body = forward(call.body)
        if 200 <= status < 300:
            IDEMPOTENCY.put(key, (mark, status, headers, body))
        return status, headers, body


def patch_run_task(call, forward):
    payload = call.json_body()
    strategy = payload.get("capacityProviderStrategy")
    if strategy and payload.get("launchType"):
        return aws_error(call, 400, "InvalidParameterException",
                         "Specifying both a launch type and capacity provider strategy is not supported.")
    if not strategy and not payload.get("launchType"):
        cluster = describe_cluster(call, payload.get("cluster", "default"))
        strategy = (cluster or {}).get("defaultCapacityProviderStrategy") or None
    provider = None
    rewritten = False
    if strategy:
        cluster = describe_cluster(call, payload.get("cluster", "default"))
        if cluster is None:
            return aws_error(call, 400, "ClusterNotFoundException", "Cluster not found.")
        associated = set(cluster.get("capacityProviders", []))
        for item in strategy:
            name = item.get("capacityProvider")
            if name not in associated:
                return aws_error(call, 400, "InvalidParameterException",
                                 f"The specified capacity provider strategy cannot contain a capacity provider "
                                 f"that is not associated with the cluster. Associate the capacity provider "
                                 f"with the cluster or specify a valid capacity provider and try again.")
            if name not in ("FARGATE", "FARGATE_SPOT"):
                return None  # an Auto Scaling provider: leave it to moto
        # The provider a single task lands on: the one with a base, else the heaviest weight.
        provider = max(strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))["capacityProvider"]
        payload.pop("capacityProviderStrategy", None)
        payload["launchType"] = "FARGATE"
        rewritten = True

    def send(_body):
        # The original bytes unless rewritten: moto may check their signature.
        status, headers, body = forward(json.dumps(payload).encode() if rewritten else call.body)
        if provider and status == 200:
            answer = json.loads(body)
            for task in answer.get("tasks", []):
                task["capacityProviderName"] = provider
                with TASK_PROVIDERS_LOCK:
                    TASK_PROVIDERS[task["taskArn"]] = provider
            body = json.dumps(answer).encode()
        return status, headers, body

    token = payload.get("clientToken")
    if token:
        return idempotent(call, token, send)
    return send(call.body)


def describe_cluster(call, name):
    answer = ecs_json(call, "DescribeClusters", {"clusters": [name]})
    clusters = [c for c in answer.get("clusters", []) if c.get("status") == "ACTIVE"]
    return clusters[0] if clusters else None


def patch_describe_tasks(status, headers, body):
    if status != 200:
        return status, headers, body
    answer = json.loads(body)
    changed = False
    for task in answer.get("tasks", []):
        with TASK_PROVIDERS_LOCK:
            provider = TASK_PROVIDERS.get(task.get("taskArn"))
        if provider:
            task["capacityProviderName"] = provider
            changed = True
    return status, headers, json.dumps(answer).encode() if changed else body


# ---- DependencyViolation: ask moto what still uses the resource

LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


def live_instances(call, **extra):
    root = ec2_query(call, "DescribeInstances",
                     filters(instance_state_name=LIVE_INSTANCE_STATES, **extra))
    return [e.text for e in root.iter("instanceId")]


def live_task_attachments(call):
    """(subnet id, ENI id) of every ECS task not yet STOPPED, in all clusters."""
    result = []
    clusters = ecs_json(call, "ListClusters", {}).get("clusterArns", [])
    for cluster in clusters:
        arns = ecs_json(call, "ListTasks", {"cluster": cluster}).get("taskArns", [])
        if not arns:
            continue
        for task in ecs_json(call, "DescribeTasks", {"cluster": cluster, "tasks": arns}).get("tasks", []):
            if task.get("lastStatus") == "STOPPED":
                continue
            for attachment in task.get("attachments", []):
                details = {d["name"]: d["value"] for d in attachment.get("details", [])}
                result.append((details.get("subnetId"), details.get("networkInterfaceId")))
    return result


def eni_groups(call, eni_ids):
    if not eni_ids:
        return {}
    params = {f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(eni_ids, start=1)}
    root = ec2_query(call, "DescribeNetworkInterfaces", params)
    groups = {}
    for item in root.iter("item"):
        eni = item.findtext("networkInterfaceId")
        if eni:
            groups[eni] = [g.findtext("groupId") for g in item.findall("./groupSet/item")]
    return groups


def dependency_violation(call, resource):
    return aws_error(call, 400, "DependencyViolation", f"resource {resource} has a dependent object")


def patch_delete_security_group(call, forward):
    group = call.form.get("GroupId")
    if group:
        if live_instances(call, instance__group_id=group):
            return dependency_violation(call, group)
        tasks = live_task_attachments(call)
        groups = eni_groups(call, [eni for _, eni in tasks if eni])
        if any(group in gs for gs in groups.values()):
            return dependency_violation(call, group)
        root = ec2_query(call, "DescribeSecurityGroups", {})
        for sg in root.iter("item"):
            owner = sg.findtext("groupId")
            if not owner or owner == group:
                continue
            for pair in sg.iter("groups"):
                for item in pair.findall("item"):
                    if item.findtext("groupId") == group:
                        return dependency_violation(call, group)
    return forward(call.body)


def patch_delete_subnet(call, forward):
    subnet = call.form.get("SubnetId")
    if subnet:
        if live_instances(call, subnet_id=subnet):
            return dependency_violation(call, subnet)
        if any(s == subnet for s, _ in live_task_attachments(call)):
            return dependency_violation(call, subnet)
    return forward(call.body)


def patch_delete_vpc(call, forward):
    vpc = call.form.get("VpcId")
    if vpc:
        root = ec2_query(call, "DescribeInternetGateways", filters(attachment__vpc_id=vpc))
        if list(root.iter("internetGatewayId")):
            return dependency_violation(call, vpc)
        root = ec2_query(call, "DescribeSecurityGroups", filters(vpc_id=vpc))
        names = [e.text for e in root.iter("groupName")]
        if any(name != "default" for name in names):
            return dependency_violation(call, vpc)
    return forward(call.body)


def patch_delete_internet_gateway(call, forward):
    igw = call.form.get("InternetGatewayId")
    if igw:
        root = ec2_query(call, "DescribeInternetGateways", {"InternetGatewayId.1": igw})
        for attachment in root.iter("attachmentSet"):
            if attachment.findall("item"):
                return dependency_violation(call, igw)
    return forward(call.body)


# ---- DryRun: AWS checks the caller's permission and does nothing else

def is_dry_run(call):
    return call.service == "ec2" and not call.json and call.form.get("DryRun", "").lower() == "true"


def patch_dry_run(call):
    """Answered here and never forwarded: moto 5.2.1 honours DryRun on some actions only (it
    runs CreateVpc, CreateSubnet, CreateRouteTable and most others for real, answering 200).
    AWS answers 412 DryRunOperation when the caller may call the action, 403
    UnauthorizedOperation when not (401 AuthFailure for a key or signature it refuses)."""
    verdict = dry_run_permission(call)
    if verdict == "auth":
        return aws_error(call, 401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    if verdict == "denied":
        return aws_error(call, 403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
    return aws_error(call, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")


def moto_checks_auth(call):
    """Whether moto verifies keys and policies now (INITIAL_NO_AUTH_ACTION_COUNT, switched at
    run time): it refuses a key it has never seen only then."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    date_time = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "X-Amz-Date": date_time,
               "x-moto-account-id": call.account,
               "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIABERTHPROXYPROBE0/{date_time[:8]}/{call.region}/sts/"
                                f"aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0"}
    status, _, _ = moto("POST", "/", headers, body)
    return status in (401, 403)


def dry_run_permission(call):
    """Returns "allowed", "denied" or "auth" (key or signature refused), as moto's checks would
    decide the real call. Without checks, everything is allowed; with them, the proxy reads
    the caller's IAM policies through the account's internal key (none registered: it cannot
    tell, and allows)."""
    if not moto_checks_auth(call):
        return "allowed"
    if signature_valid(call) is False:
        return "auth"
    if not internal_key_of(call.account):
        return "allowed"
    try:
        user = query(call, "iam", "GetAccessKeyLastUsed", {"AccessKeyId": call.access_key}).findtext(".//UserName")
    except RuntimeError:
        return "auth"
    if not user:
        return "auth"
    return "allowed" if policies_allow(user_policies(call, user), f"ec2:{call.action}") else "denied"


def user_policies(call, user):
    """The policy documents that apply to an IAM user: inline and attached, its own and its groups'."""
    def document(text):
        return json.loads(urllib.parse.unquote(text or "{}"))

    def attached(root):
        documents = []
        for arn in [e.text for e in root.iter("PolicyArn")]:
            version = query(call, "iam", "GetPolicy", {"PolicyArn": arn}).findtext(".//DefaultVersionId")
            documents.append(document(query(call, "iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": version})
                                      .findtext(".//Document")))
        return documents

    documents = []
    for name in [e.text for e in query(call, "iam", "ListUserPolicies", {"UserName": user}).iter("member")]:
        documents.append(document(query(call, "iam", "GetUserPolicy", {"UserName": user, "PolicyName": name})
                                  .findtext(".//PolicyDocument")))
    documents += attached(query(call, "iam", "ListAttachedUserPolicies", {"UserName": user}))
    for group in [e.text for e in query(call, "iam", "ListGroupsForUser", {"UserName": user}).iter("GroupName")]:
        for name in [e.text for e in query(call, "iam", "ListGroupPolicies", {"GroupName": group}).iter("member")]:
            documents.append(document(query(call, "iam", "GetGroupPolicy", {"GroupName": group, "PolicyName": name})
                                      .findtext(".//PolicyDocument")))
        documents += attached(query(call, "iam", "ListAttachedGroupPolicies", {"GroupName": group}))
    return documents


def policies_allow(documents, action):
    """IAM's rule (an explicit Deny wins, else an Allow is needed), decided as moto decides
    the real call, so a dry run and the call agree: EC2 requests are checked against the
    resource "*", and a Condition counts as met (moto tests condition keys only against
    values it takes from the request, and it takes only sts:ExternalId)."""
    def matches(patterns, value):
        patterns = patterns if isinstance(patterns, list) else [patterns]
        return any(re.fullmatch(re.escape(p).replace(r"\*", ".*").replace(r"\?", "."), value, re.IGNORECASE) for p in patterns)

    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if "Action" in statement and not matches(statement["Action"], action):
                continue
            if "NotAction" in statement and matches(statement["NotAction"], action):
                continue
            if "Resource" in statement and not matches(statement["Resource"], "*"):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


EC2_PATCHES = {
    "DeleteSecurityGroup": patch_delete_security_group,
    "DeleteSubnet": patch_delete_subnet,
    "DeleteVpc": patch_delete_vpc,
    "DeleteInternetGateway": patch_delete_internet_gateway,
}


KNOWN_KEYS = {}  # access key id created through the proxy -> its account
KEY_SECRETS = {}  # access key id -> secret (registered by tests, for re-signing)
INTERNAL_KEYS = {}  # account -> (access key id, secret) the proxy signs its own calls with
KNOWN_KEYS_LOCK = threading.Lock()


def account_of_key(access_key):
    with KNOWN_KEYS_LOCK:
        return KNOWN_KEYS.get(access_key, DEFAULT_ACCOUNT)


def secret_of_key(access_key):
    with KNOWN_KEYS_LOCK:
        return KEY_SECRETS.get(access_key)


def internal_key_of(account):
    with KNOWN_KEYS_LOCK:
        return INTERNAL_KEYS.get(account)


def remember_access_key(call, status, body):
    if status == 200:
        try:
            key = strip_namespaces(ET.fromstring(body)).findtext(".//AccessKeyId")
        except ET.ParseError:
            key = None
        if key:
            with KNOWN_KEYS_LOCK:
                KNOWN_KEYS[key] = call.account


def handle_call(call, forward):
    """Applies the patch for this action, if any; `forward(body)` sends to moto."""
    if call.service == "iam" and call.action == "CreateAccessKey":
        status, headers, body = forward(call.body)
        remember_access_key(call, status, body)
        return status, headers, body
    if call.service == "ec2" and not call.json:
        if is_dry_run(call):
            return patch_dry_run(call)
        if call.action == "RunInstances" and call.form.get("ClientToken"):
            return idempotent(call, call.form["ClientToken"], forward)
        patch = EC2_PATCHES.get(call.action)
        if patch:
            return patch(call, forward)
    if call.service == "ecs" and call.json:
        if call.action == "RunTask":
            result = patch_run_task(call, forward)
            if result is not None:
                return result
        if call.action == "DescribeTasks":
            return patch_describe_tasks(*forward(call.body))
    return forward(call.body)


# ---------------------------------------------------------------- HTTP server

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-emulator-proxy"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("proxy: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def dispatch(self):
        body = self.read_body()
        if self.path.startswith("/__berth/"):
            return self.control(body)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        call = Call(self.command, self.path, self.headers, body)
        if call.access_key and not any(k.lower() == "x-moto-account-id" for k in headers):
            # Without this header moto finds the account by scanning every account's IAM
            # state, creating (and loading managed policies into) each one on the way:
            # seconds per account. The proxy knows the keys it saw created.
            call.account = account_of_key(call.access_key)
            headers["x-moto-account-id"] = call.account
        fault, slow = FAULTS.next_fault(call) if call.access_key else (None, 0)
        if fault == "reset":
            return self.reset()
        if fault == "throttle":
            return self.reply(*throttle_response(call))
        if fault == "auth":
            return self.reply(*auth_error(call))
        if fault == "dependency":
            return self.reply(*aws_error(call, 400, "DependencyViolation",
                                         "resource has a dependent object (injected)"))
        if fault in ("500", "503"):
            return self.reply(*server_error(call, int(fault)))
        if fault == "slow":
            time.sleep(slow)

        def forward(new_body):
            FAULTS.forwarded(call)
            if secret_of_key(call.access_key) and is_form(call):
                new_body = moto_form_encoding(new_body)
            sent = headers if new_body == body else resigned_headers(call, headers, new_body)
            return moto(self.command, self.path, sent, new_body)

        try:
            status, answer_headers, answer = handle_call(call, forward)
        except Exception as error:  # a patch's own call to moto failed: say so, as moto would
            status, answer_headers, answer = aws_error(call, 500, "InternalError", f"emulator proxy: {error}")
        FAULTS.answered(call, status)
        self.reply(status, answer_headers, answer)

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def control(self, body):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        key = (query.get("key") or [""])[0]
        if url.path == "/__berth/health":
            return self.reply(200, {"Content-Type": "application/json"}, b'{"status":"ok"}')
        if url.path == "/__berth/faults" and self.command == "POST":
            config = json.loads(body or b"{}")
            FAULTS.set(config.get("key", key), config)
            return self.reply(200, {"Content-Type": "application/json"}, b'{"status":"ok"}')
        if url.path == "/__berth/faults" and self.command == "DELETE":
            FAULTS.clear(key)
            return self.reply(200, {"Content-Type": "application/json"}, b'{"status":"ok"}')
        if url.path == "/__berth/accounts" and self.command == "POST":
            config = json.loads(body or b"{}")
            with KNOWN_KEYS_LOCK:
                KNOWN_KEYS[config["key"]] = str(config["account"])
                if config.get("secret"):
                    KEY_SECRETS[config["key"]] = config["secret"]
                    if config.get("internal"):
                        INTERNAL_KEYS[str(config["account"])] = (config["key"], config["secret"])
            return self.reply(200, {"Content-Type": "application/json"}, b'{"status":"ok"}')
        if url.path == "/__berth/stats":
            return self.reply(200, {"Content-Type": "application/json"}, json.dumps(FAULTS.stats_for(key)).encode())
        self.reply(404, {"Content-Type": "text/plain"}, b"unknown control path")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--upstream", required=True, help="moto's base URL, http://127.0.0.1:PORT")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    upstream = urllib.parse.urlparse(args.upstream)
    UPSTREAM = (upstream.hostname, upstream.port or 80)
    server = Server((args.host, args.port), Handler)
    server.verbose = args.verbose
    server.serve_forever()


if __name__ == "__main__":
    main()
