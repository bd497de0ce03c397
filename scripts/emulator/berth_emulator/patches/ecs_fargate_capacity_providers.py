"""ECS RunTask with a FARGATE / FARGATE_SPOT capacity provider strategy, or with neither a launch
type nor a strategy (the cluster's default strategy), runs a Fargate task and reports its
`capacityProviderName`, in the RunTask answer and in DescribeTasks. A provider not associated
with the cluster, or a launch type together with a strategy, is refused with
`InvalidParameterException`.

moto 5.2.1 answers HTTP 500 to every RunTask with a capacity provider strategy (and to one
that falls back on a default strategy), and never reports a task's capacity provider. The
emulator sends moto the same request with `launchType` FARGATE instead of the strategy
(re-signed as the caller) and remembers each task's provider. Auto Scaling group providers are
left to moto.

AWS sources:
- the `capacityProviderStrategy` and `launchType` parameters of RunTask ("If a
  capacityProviderStrategy is specified, the launchType parameter must be omitted. If no
  capacityProviderStrategy or launchType is specified, the defaultCapacityProviderStrategy for
  the cluster is used."), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
- CapacityProviderStrategyItem ("Only capacity providers that are already associated with a
  cluster and have an ACTIVE or UPDATING status can be used in a capacity provider strategy.";
  "To use a Fargate capacity provider, specify either the FARGATE or FARGATE_SPOT capacity
  providers."; only one provider in a strategy can have a `base`),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
- Task `capacityProviderName` ("The capacity provider that's associated with the task."),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
"""

import json
import threading

from ..registry import after, before
from ..responses import aws_error
from ..upstream import ecs_json

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
NOT_ASSOCIATED = ("The specified capacity provider strategy cannot contain a capacity provider that is not "
                  "associated with the cluster. Associate the capacity provider with the cluster or specify a "
                  "valid capacity provider and try again.")

TASK_PROVIDERS = {}  # task ARN -> capacity provider name (moto forgets it)
TASK_PROVIDERS_LOCK = threading.Lock()


@before("ecs", "RunTask")
def run_on_fargate(call):
    payload = call.json_body()
    strategy = payload.get("capacityProviderStrategy")
    if strategy and payload.get("launchType"):
        return aws_error(call, 400, "InvalidParameterException",
                         "Specifying both a launch type and capacity provider strategy is not supported.")
    cluster = None
    if not strategy and not payload.get("launchType"):
        cluster = describe_cluster(call, payload.get("cluster", "default"))
        strategy = (cluster or {}).get("defaultCapacityProviderStrategy") or None
    if not strategy:
        return None
    cluster = cluster or describe_cluster(call, payload.get("cluster", "default"))
    if cluster is None:
        return aws_error(call, 400, "ClusterNotFoundException", "Cluster not found.")
    associated = set(cluster.get("capacityProviders", []))
    for item in strategy:
        name = item.get("capacityProvider")
        if name not in associated:
            return aws_error(call, 400, "InvalidParameterException", NOT_ASSOCIATED)
        if name not in FARGATE_PROVIDERS:
            return None  # an Auto Scaling group provider: left to moto
    # The provider a single task lands on: the one with a base, else the heaviest weight.
    call.notes["capacity_provider"] = max(strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))["capacityProvider"]
    payload.pop("capacityProviderStrategy", None)
    payload["launchType"] = "FARGATE"
    call.forward_json(payload)
    return None


@after("ecs", "RunTask", when=lambda call: "capacity_provider" in call.notes)
def report_new_tasks(call, response):
    if response.status != 200:
        return response
    provider = call.notes["capacity_provider"]
    answer = json.loads(response.body)
    for task in answer.get("tasks", []):
        task["capacityProviderName"] = provider
        with TASK_PROVIDERS_LOCK:
            TASK_PROVIDERS[task["taskArn"]] = provider
    return response._replace(body=json.dumps(answer).encode())


@after("ecs", "DescribeTasks")
def report_described_tasks(call, response):
    if response.status != 200:
        return response
    answer = json.loads(response.body)
    changed = False
    for task in answer.get("tasks", []):
        with TASK_PROVIDERS_LOCK:
            provider = TASK_PROVIDERS.get(task.get("taskArn"))
        if provider:
            task["capacityProviderName"] = provider
            changed = True
    return response._replace(body=json.dumps(answer).encode()) if changed else response


def describe_cluster(call, name):
    """The cluster if it is ACTIVE, else None."""
    answer = ecs_json(call, "DescribeClusters", {"clusters": [name]})
    clusters = [c for c in answer.get("clusters", []) if c.get("status") == "ACTIVE"]
    return clusters[0] if clusters else None
