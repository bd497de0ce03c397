"""Fargate limits what RunTask can start, and says so in the answer's `failures` (HTTP 200, no
task): over the account's vCPU quota per Region (separate for FARGATE and FARGATE_SPOT) the
reason is "You’ve reached the limit on the number of vCPUs you can run concurrently"; without
capacity in the zones of the task's subnets it is "Capacity is unavailable at this time. Please
try again later or in a different availability zone".

moto 5.2.1 starts every task. With the "quotas" behaviour on (realism.py) the emulator adds up
the vCPUs of the account's running Fargate tasks in the Region (task size from the task
definition or the task's overrides) against `fargate_vcpus` / `fargate_spot_vcpus`; with the
"capacity" behaviour on, its `fargate` entries ({"zone", "spot_only", "seconds"}) say in which
zones Fargate has no capacity, and a task fails when every zone of its subnets has none.

AWS sources:
- AWS Fargate service quotas ("Fargate On-Demand vCPU resource count", "Fargate Spot vCPU resource
  count", per Region), https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html
- Amazon ECS troubleshooting, "service ... was unable to place a task. Reason: You’ve reached the
  limit on the number of vCPUs you can run concurrently",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/troubleshoot-service-event-messages.html
- RunTask (`failures`: "Any failures associated with the call"; "Amazon ECS places tasks ... in
  the subnets you specify"), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
  and API failure reasons, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
- "How do I resolve 'Capacity is unavailable at this time' when I run an Amazon ECS task on
  Fargate?" (the RunTask message; AWS manages capacity per Availability Zone),
  https://repost.aws/knowledge-center/ecs-fargate-runtask-capacity
"""

import json
import threading
import time

from ..realism import REALISM
from ..registry import around
from ..responses import Response
from ..upstream import ec2_query, ecs_json
from .ecs_fargate_capacity_providers import TASK_PROVIDERS, TASK_PROVIDERS_LOCK

QUOTA_REASON = "You’ve reached the limit on the number of vCPUs you can run concurrently"
CAPACITY_REASON = "Capacity is unavailable at this time. Please try again later or in a different availability zone"
LOCKS = {}
LOCKS_LOCK = threading.Lock()
DEFINITION_CPU = {}  # task definition ARN -> CPU units (definitions are immutable)


def is_fargate(call):
    return call.json_body().get("launchType") == "FARGATE" or "capacity_provider" in call.notes


def provider_of(call):
    return call.notes.get("capacity_provider", "FARGATE")


def refused(reason, count):
    body = json.dumps({"tasks": [], "failures": [{"reason": reason} for _ in range(count)]}).encode()
    return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, body)


def cpu_units(call, definition, overrides):
    if (overrides or {}).get("cpu"):
        return int(overrides["cpu"])
    if definition not in DEFINITION_CPU:
        found = ecs_json(call, "DescribeTaskDefinition", {"taskDefinition": definition}).get("taskDefinition", {})
        DEFINITION_CPU[definition] = int(found.get("cpu") or 0)
        DEFINITION_CPU[found.get("taskDefinitionArn", definition)] = DEFINITION_CPU[definition]
    return DEFINITION_CPU[definition]


def running_vcpus(call, provider):
    units = 0
    for cluster in ecs_json(call, "ListClusters", {}).get("clusterArns", []):
        arns = ecs_json(call, "ListTasks", {"cluster": cluster}).get("taskArns", [])
        for start in range(0, len(arns), 100):
            for task in ecs_json(call, "DescribeTasks", {"cluster": cluster, "tasks": arns[start:start + 100]}).get("tasks", []):
                if task.get("lastStatus") == "STOPPED" or task.get("launchType") != "FARGATE":
                    continue
                with TASK_PROVIDERS_LOCK:
                    theirs = TASK_PROVIDERS.get(task["taskArn"], "FARGATE")
                if theirs == provider:
                    units += cpu_units(call, task.get("taskDefinitionArn", ""), task.get("overrides"))
    return units / 1024


def subnet_zones(call, payload):
    subnets = ((payload.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
    if not subnets:
        return []
    params = {f"SubnetId.{i}": s for i, s in enumerate(subnets, start=1)}
    return [z.text for z in ec2_query(call, "DescribeSubnets", params).iter("availabilityZone")]


def without_capacity(call, zone, provider):
    now = time.monotonic()
    for entry in REALISM.settings(call, "capacity")["fargate"]:
        if entry["until"] is not None and entry["until"] <= now:
            continue
        if entry["spot_only"] and provider != "FARGATE_SPOT":
            continue
        if entry["zone"] in ("*", zone):
            return True
    return False


# Inside the client-token cache (order above 100): a repeat of a start that happened is not refused.
@around("ecs", "RunTask", when=lambda call: is_fargate(call) and REALISM.settings(call, "capacity") is not None, order=105)
def fargate_capacity(call, forward):
    payload = call.json_body()
    zones = subnet_zones(call, payload)
    if zones and all(without_capacity(call, zone, provider_of(call)) for zone in zones):
        return refused(CAPACITY_REASON, int(payload.get("count") or 1))
    return forward()


@around("ecs", "RunTask", when=lambda call: is_fargate(call) and REALISM.settings(call, "quotas") is not None, order=110)
def fargate_vcpus(call, forward):
    payload = call.json_body()
    provider = provider_of(call)
    settings = REALISM.settings(call, "quotas")
    limit = settings["fargate_spot_vcpus" if provider == "FARGATE_SPOT" else "fargate_vcpus"]
    count = int(payload.get("count") or 1)
    with LOCKS_LOCK:
        lock = LOCKS.setdefault((call.account, call.region, provider), threading.Lock())
    with lock:
        wanted = count * cpu_units(call, payload.get("taskDefinition", ""), payload.get("overrides")) / 1024
        if running_vcpus(call, provider) + wanted > limit:
            return refused(QUOTA_REASON, count)
        return forward()
