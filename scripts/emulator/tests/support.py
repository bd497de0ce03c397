"""Builders for the tests: requests as the server sees them."""

import json
import urllib.parse

from berth_emulator.request import Call

ECS_TARGET = "AmazonEC2ContainerServiceV20141113"
SCOPE_DATE = "20260101"


def authorization(key="AKIATESTKEY000000001", region="us-east-2", service="ec2"):
    return (f"AWS4-HMAC-SHA256 Credential={key}/{SCOPE_DATE}/{region}/{service}/aws4_request, "
            f"SignedHeaders=content-type;host;x-amz-date, Signature=00")


def query_call(service, action, params=None, key="AKIATESTKEY000000001", region="us-east-2", account=None):
    """A Query-protocol request (EC2, IAM, STS) as the server builds it."""
    form = {"Action": action, "Version": "2016-11-15", **(params or {})}
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
               "Authorization": authorization(key, region, service)}
    if account:
        headers["x-moto-account-id"] = account
    return Call("POST", "/", headers, urllib.parse.urlencode(form).encode())


def json_call(service, action, payload=None, key="AKIATESTKEY000000001", region="us-east-2", account=None,
              target=ECS_TARGET):
    """A JSON 1.1 request (ECS, ECR, Logs) as the server builds it."""
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{target}.{action}",
               "Authorization": authorization(key, region, service)}
    if account:
        headers["x-moto-account-id"] = account
    return Call("POST", "/", headers, json.dumps(payload or {}).encode())
