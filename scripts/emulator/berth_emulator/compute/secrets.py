"""Secrets a container or an instance reads from Secrets Manager when it starts, as AWS gives
them: ECS resolves each entry of a container definition's `secrets` into an environment
variable before the container starts, with the task's execution role ("Pass Secrets Manager
secrets through Amazon ECS environment variables",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html:
`valueFrom` is the secret's ARN, or `arn:…:secret:NAME:json-key:version-stage:version-id` for one
key of a JSON secret); a task whose secret cannot be read stops before it runs with
"ResourceInitializationError: unable to pull secrets or registry auth" (Amazon ECS
troubleshooting, "Troubleshoot Amazon ECS ResourceInitializationError errors"). An instance
reads one with the AWS CLI and its instance role (`aws secretsmanager get-secret-value`, the
shim in shims.py, served by control.py).

The emulation reads the secret in the task's or instance's own account and region and does not
evaluate the roles' or the secret's policies (moto runs nothing as a role): in AWS the
secret's resource policy, which Berth sets, is what lets those roles read it. Values never reach a log: errors
name the secret, never what it holds."""

import json
import types

from .. import upstream


class SecretUnavailable(Exception):
    """A secret could not be read; the message names it, never its value."""


def parse_value_from(value_from):
    """(secret id, region or None, json key or "") of a `valueFrom`: a full ARN with its optional
    `:json-key:version-stage:version-id` tail, or a bare name."""
    if not value_from.startswith("arn:"):
        return value_from, None, ""
    parts = value_from.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        raise SecretUnavailable(f"{value_from[:200]}: the emulation resolves Secrets Manager secrets only")
    return ":".join(parts[:7]), parts[3] or None, parts[7] if len(parts) > 7 else ""


def read(caller, value_from):
    """The value a `valueFrom` names, read in the caller's account (and the ARN's region)."""
    secret_id, region, json_key = parse_value_from(value_from)
    where = types.SimpleNamespace(account=caller.account, region=region or caller.region, access_key=caller.access_key)
    try:
        text = upstream.secret_string(where, secret_id)
    except upstream.UpstreamError as error:
        raise SecretUnavailable(f"{secret_id[:200]}: {str(error)[:300]}") from None
    if not json_key:
        return text
    try:
        value = json.loads(text)[json_key]
    except (ValueError, KeyError, TypeError):
        raise SecretUnavailable(f"{secret_id[:200]}: no JSON key {json_key[:60]!r} in the secret") from None
    return value if isinstance(value, str) else json.dumps(value)


def resolve_secrets(caller, items):
    """A container definition's `secrets` as environment variables."""
    return {item.get("name", ""): read(caller, item.get("valueFrom", "")) for item in items}
