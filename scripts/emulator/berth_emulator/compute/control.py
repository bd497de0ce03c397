"""The compute emulation's control API, on the emulator's own port (registered with
control.route):

  GET  /__berth/compute            -> {"everywhere": bool, "accounts": {...}, "tasks": [...],
                                       "instances": [...], "sandboxes": n}
  POST /__berth/compute            {"enabled": true, "account": "123456789012"}: on (or off) for
                                   one moto account; without "account", for every account
  POST /__berth/compute/interrupt  {"task": ARN} a FARGATE_SPOT task, or {"instance": ID} a Spot
                                   instance: interrupted as AWS interrupts Spot capacity
  POST /__berth/compute/kill       {"task": ARN} or {"instance": ID}: its processes get SIGKILL,
                                   no warning (a crash; an instance itself keeps running)
  POST /__berth/compute/instance-shutdown {"instance": ID}: the instance's `shutdown` shim
                                   (the OS shutting down from inside)
  POST /__berth/compute/instance-secret {"instance": ID, "secret": ARN, "region": R|null}: the
                                   instance's `aws secretsmanager get-secret-value` shim

scripts/emulator/compute wraps these for people."""

import types

from ..control import BadInput, OK, json_object, route
from ..responses import json_answer
from . import SETTINGS, sandbox
from .instances import INSTANCES
from .secrets import SecretUnavailable, read as read_secret
from .supervisor import SUPERVISOR
from .tasks import SPOT_INTERRUPTION, TASKS


@route("/__berth/compute", "GET")
def status(query, body):
    return json_answer(200, {
        "everywhere": SETTINGS.everywhere, "accounts": dict(SETTINGS.accounts),
        "tasks": [{"taskArn": t.arn, "address": t.address, "lastStatus": t.last_status, "healthStatus": t.health()}
                  for t in TASKS.all()],
        "instances": [{"instanceId": i.id, "address": i.address, "state": i.state} for i in INSTANCES.all()],
        "sandboxes": len(SUPERVISOR.running())})


@route("/__berth/compute", "POST")
def switch(query, body):
    config = json_object(body)
    if not isinstance(config.get("enabled"), bool):
        raise BadInput('give "enabled": true or false, and optionally "account" (a moto account id)')
    if config["enabled"] and sandbox.unavailable():
        raise BadInput(f"compute emulation cannot run on this machine: {sandbox.unavailable()}")
    account = config.get("account")
    if account is not None and not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        raise BadInput(f'"account" must be a 12-digit moto account id, not {str(account)[:40]!r}')
    SETTINGS.set(account, config["enabled"])
    return OK


def target(body):
    config = json_object(body)
    if "task" in config:
        task = TASKS.get(config["task"])
        if task is None:
            raise BadInput(f"no emulated task {str(config['task'])[:200]!r} (a task ARN from RunTask with compute on)")
        return task, None
    if "instance" in config:
        instance = INSTANCES.get(config["instance"])
        if instance is None:
            raise BadInput(f"no emulated instance {str(config['instance'])[:40]!r} (an id from RunInstances with compute on)")
        return None, instance
    raise BadInput('give {"task": "<task ARN>"} or {"instance": "<instance id>"}')


@route("/__berth/compute/interrupt", "POST")
def interrupt(query, body):
    task, instance = target(body)
    if task is not None:
        from ..patches.ecs_fargate_capacity_providers import TASK_PROVIDERS, TASK_PROVIDERS_LOCK
        with TASK_PROVIDERS_LOCK:
            provider = TASK_PROVIDERS.get(task.arn)
        if provider != "FARGATE_SPOT":
            raise BadInput(f"task {task.arn} runs on {provider or 'FARGATE'}, not FARGATE_SPOT: AWS interrupts Spot capacity only")
        task.stop(*SPOT_INTERRUPTION)
    else:
        if not instance.spot:
            raise BadInput(f"instance {instance.id} is on-demand: AWS interrupts Spot instances only")
        instance.interrupt()
    return OK


@route("/__berth/compute/kill", "POST")
def kill(query, body):
    task, instance = target(body)
    (task or instance).kill()
    return OK


@route("/__berth/compute/instance-shutdown", "POST")
def instance_shutdown(query, body):
    task, instance = target(body)
    if instance is None:
        raise BadInput('give {"instance": "<instance id>"}')
    instance.shutdown_from_inside()
    return OK


@route("/__berth/compute/instance-secret", "POST")
def instance_secret(query, body):
    config = json_object(body)
    instance = INSTANCES.get(config.get("instance"))
    if instance is None:
        raise BadInput(f"no emulated instance {str(config.get('instance'))[:40]!r} (an id from RunInstances with compute on)")
    secret = config.get("secret")
    if not isinstance(secret, str) or not secret:
        raise BadInput('give "secret": a secret\'s ARN or name')
    caller = instance.caller
    if isinstance(config.get("region"), str) and config["region"]:
        caller = types.SimpleNamespace(account=caller.account, region=config["region"], access_key=caller.access_key)
    try:
        value = read_secret(caller, secret)
    except SecretUnavailable as error:
        raise BadInput(str(error)) from None
    return json_answer(200, {"ARN": secret, "Name": secret.split(":")[-1], "SecretString": value})
