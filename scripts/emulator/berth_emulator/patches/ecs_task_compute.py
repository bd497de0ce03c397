"""With compute emulation on (berth_emulator/compute), an ECS task runs: RunTask starts each
container's command in a sandbox on the task's loopback address, and DescribeTasks, RunTask
and StopTask report the task as ECS does: lastStatus RUNNING while its essential containers
live, STOPPED with the container's exit code and ECS's stopCode and stoppedReason when one
exits, is stopped, or its image cannot be pulled; healthStatus from the task definition's
health checks; the task's private IP (attachment and containers' network interfaces) is its
loopback address. StopTask sends SIGTERM, then SIGKILL after the container's stopTimeout.

moto 5.2.1 runs nothing: a task is RUNNING until StopTask, which stops it at once with
exitCode 0, no stopCode, and healthStatus HEALTHY whatever the task definition says; its
private IP is a random 10.x address. The behaviour is in compute/tasks.py.

AWS sources:
- Task (`lastStatus`, `desiredStatus`, `stopCode`: TaskFailedToStart, EssentialContainerExited,
  UserInitiated, SpotInterruption, ...; `stoppedReason`; `healthStatus`; `containers`),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
- Container (`exitCode`, `reason`, `healthStatus`, `networkInterfaces`),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html
- StopTask ("the equivalent of docker stop is issued to the containers running in the task.
  This results in a SIGTERM value and a default 30-second timeout, after which the SIGKILL value
  is sent"), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
- ContainerDefinition `stopTimeout` (Fargate: default 30 s, at most 120 s) and `healthCheck`,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
- HealthCheck (command forms, interval/timeout/retries/startPeriod defaults; the task's health
  from its essential containers), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
- Stopped task errors (CannotPullContainerError, "Essential container in task exited"),
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html and
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
"""

import json

from ..compute import enabled_for
from ..compute.tasks import DEFAULT_STOP_REASON, TASKS
from ..registry import after


def known_tasks(call):
    return bool(TASKS.all())


def rewrite(response, tasks_of, function):
    if response.status != 200:
        return response
    answer = json.loads(response.body)
    changed = False
    for item in tasks_of(answer):
        task = TASKS.get(item.get("taskArn"))
        if task is not None:
            function(task, item)
            changed = True
    return response._replace(body=json.dumps(answer).encode()) if changed else response


@after("ecs", "RunTask", when=enabled_for)
def run_tasks(call, response):
    if response.status != 200:
        return response
    answer = json.loads(response.body)
    overrides = call.json_body().get("overrides")
    for item in answer.get("tasks", []):
        TASKS.run(call, item, overrides).describe(item, initial=True)
    return response._replace(body=json.dumps(answer).encode())


@after("ecs", "DescribeTasks", when=known_tasks)
def describe_tasks(call, response):
    return rewrite(response, lambda answer: answer.get("tasks", []), lambda task, item: task.describe(item))


@after("ecs", "StopTask", when=known_tasks)
def stop_task(call, response):
    reason = call.json_body().get("reason") or DEFAULT_STOP_REASON

    def stop(task, item):
        task.stop("UserInitiated", reason)
        task.describe(item)
    return rewrite(response, lambda answer: [answer["task"]] if "task" in answer else [], stop)
