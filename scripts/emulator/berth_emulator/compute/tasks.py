"""ECS tasks run for real: each container of the task definition (with RunTask's overrides) is a
sandbox running the image's command from its local environment, on the task's own loopback
address. What DescribeTasks reports is this module's record of the task, laid over moto's.

Lifecycle, as ECS reports it (docs/aws.md, "Emulated compute", cites each):
  RunTask           every image known: containers start, the task is RUNNING;
                    an image the emulation cannot pull: nothing starts, STOPPED, stopCode
                    TaskFailedToStart, stoppedReason CannotPullContainerError: ...
  a container exits exit code kept; an essential one stops the task: the other containers
                    get SIGTERM, then SIGKILL after their stopTimeout; STOPPED, stopCode
                    EssentialContainerExited, "Essential container in task exited"
  StopTask          SIGTERM, SIGKILL after stopTimeout (default 30 s, at most 120 s);
                    stopCode UserInitiated, stoppedReason the caller's reason
  Spot interruption (control API) SIGTERM, SIGKILL after stopTimeout; stopCode
                    SpotInterruption, "Your Spot Task was interrupted."
  kill              (control API) SIGKILL at once: the containers exit 137
  health checks     healthStatus per container and for the task (health.py)
  secrets           a container's `secrets` (Secrets Manager ARNs, optionally `:json-key::`)
                    become its environment when the task starts; one that cannot be read stops
                    the task before it runs: TaskFailedToStart, "ResourceInitializationError:
                    unable to pull secrets or registry auth: ..." (secrets.py)
When a task has stopped, the emulator stops it in moto too, so ListTasks and the dependency
checks agree."""

import os
import threading
import time

from .. import upstream
from . import Records, sandbox as sandboxes
from .addresses import ADDRESSES
from .containers import container_spec, hostname_for
from .health import HealthCheck, task_health
from .images import environment_for
from .secrets import SecretUnavailable, resolve_secrets
from .supervisor import SUPERVISOR

DEFAULT_STOP_TIMEOUT = 30
MAX_STOP_TIMEOUT = 120  # Fargate's bound
ESSENTIAL_EXITED = ("EssentialContainerExited", "Essential container in task exited")
SPOT_INTERRUPTION = ("SpotInterruption", "Your Spot Task was interrupted.")
DEFAULT_STOP_REASON = "Task stopped by user"


class Caller:
    """Enough of a request for the emulator's own calls in the task's account and region."""

    def __init__(self, call):
        self.account, self.region, self.access_key = call.account, call.region, call.access_key


class Container:
    def __init__(self, definition, override):
        self.name = definition.get("name", "")
        self.image = definition.get("image", "")
        self.essential = definition.get("essential", True)
        self.definition = definition
        self.command = override.get("command") or definition.get("command") or []
        self.env = {e["name"]: e["value"] for e in definition.get("environment", [])}
        self.env.update({e["name"]: e["value"] for e in override.get("environment", [])})
        self.stop_timeout = min(int(definition.get("stopTimeout") or DEFAULT_STOP_TIMEOUT), MAX_STOP_TIMEOUT)
        self.status = "PENDING"
        self.exit_code = None
        self.reason = None
        self.health = None
        self.sandbox = None

    def describe(self, task, arn):
        item = {"containerArn": arn, "taskArn": task.arn, "name": self.name, "image": self.image,
                "lastStatus": self.status, "healthStatus": self.health.status if self.health else "UNKNOWN",
                "networkInterfaces": [{"attachmentId": task.attachment_id, "privateIpv4Address": task.address}]}
        if self.exit_code is not None:
            item["exitCode"] = self.exit_code
        if self.reason:
            item["reason"] = self.reason
        if self.sandbox is not None:
            item["runtimeId"] = f"{task.arn.rsplit('/', 1)[-1]}-{self.name}"
        return item


class Task:
    def __init__(self, call, moto_task):
        self.lock = threading.RLock()
        self.caller = Caller(call)
        self.arn = moto_task["taskArn"]
        self.cluster = moto_task.get("clusterArn", "default")
        self.address = ADDRESSES.allocate()
        self.hostname = hostname_for(self.address, call.region)
        details = {}
        self.attachment_id = None
        for attachment in moto_task.get("attachments", []):
            self.attachment_id = attachment.get("id")
            details = {d["name"]: d["value"] for d in attachment.get("details", [])}
        self.moto_ip = details.get("privateIPv4Address")
        ADDRESSES.remember(call.account, call.region, self.moto_ip, self.address)
        self.containers = []
        self.last_status, self.desired_status = "PROVISIONING", "RUNNING"
        self.stop_code = self.stopped_reason = None
        self.created_at = time.time()
        self.started_at = self.stopping_at = self.stopped_at = None

    # -- reading -------------------------------------------------------------------------

    def health(self):
        return task_health([c.health for c in self.containers if c.essential])

    def refresh(self):
        """PENDING until every container's command runs (its sandbox is set up), then RUNNING."""
        for c in self.containers:
            if c.status == "PENDING" and c.sandbox is not None and sandboxes.started(c.sandbox.folder):
                c.status = "RUNNING"
        if self.last_status == "PENDING" and all(c.status == "RUNNING" for c in self.containers):
            self.last_status = "RUNNING"

    def describe(self, item, initial=False):
        """Lays this record over moto's description of the task (a dict, changed in place).
        `initial`: RunTask's own answer, which ECS gives before anything started."""
        with self.lock:
            self.refresh()
            item["lastStatus"], item["desiredStatus"] = self.last_status, self.desired_status
            if initial:
                item["lastStatus"], item["desiredStatus"] = "PROVISIONING", "RUNNING"
            item["healthStatus"] = self.health()
            item["connectivity"] = "CONNECTED" if self.last_status != "STOPPED" else "DISCONNECTED"
            for key, value in (("startedAt", self.started_at), ("stoppingAt", self.stopping_at),
                               ("stoppedAt", self.stopped_at), ("executionStoppedAt", self.stopped_at)):
                if value is not None:
                    item[key] = value
            if self.stop_code:
                item["stopCode"], item["stoppedReason"] = self.stop_code, self.stopped_reason
            arns = [c.get("containerArn") for c in item.get("containers", [])]
            item["containers"] = [c.describe(self, arns[i] if i < len(arns) else f"{self.arn}/{c.name}")
                                  for i, c in enumerate(self.containers)]
            if initial:
                for key in ("startedAt", "stoppingAt", "stoppedAt", "executionStoppedAt", "stopCode", "stoppedReason"):
                    item.pop(key, None)
                item["healthStatus"] = "UNKNOWN"
                for container in item["containers"]:
                    container["lastStatus"] = "PENDING"
                    for key in ("exitCode", "reason", "runtimeId"):
                        container.pop(key, None)
            for attachment in item.get("attachments", []):
                for detail in attachment.get("details", []):
                    if detail.get("name") == "privateIPv4Address":
                        detail["value"] = self.address
                    elif detail.get("name") == "privateDnsName":
                        detail["value"] = self.hostname

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, definition, overrides):
        by_name = {o.get("name"): o for o in (overrides or {}).get("containerOverrides", [])}
        self.containers = [Container(d, by_name.get(d.get("name"), {})) for d in definition.get("containerDefinitions", [])]
        for container in self.containers:
            environment = environment_for(container.image)
            if environment is None or not environment.installed():
                note = "" if environment is None else " (emulator: its environment is not installed; run scripts/emulator/install-envs)"
                return self.fail_to_start(container, "CannotPullContainerError: pull image manifest has been retried "
                                          f"5 time(s): failed to resolve ref {reference(container.image)}: not found{note}")
        for container in self.containers:
            try:
                container.env.update(resolve_secrets(self.caller, container.definition.get("secrets") or []))
            except SecretUnavailable as error:
                return self.fail_to_start(container, "ResourceInitializationError: unable to pull secrets or registry auth: "
                                          f"execution resource retrieval failed: unable to retrieve secret from asm: {error}",
                                          pulled=True)
        for container in self.containers:
            argv = list(container.definition.get("entryPoint") or []) + list(container.command)
            if not argv:
                return self.fail_to_start(container, "CannotStartContainerError: no command specified", pulled=True)
        self.started_at = time.time()
        self.last_status = "PENDING"
        for container in self.containers:
            self.start_container(container, environment_for(container.image))

    def start_container(self, container, environment):
        argv = list(container.definition.get("entryPoint") or []) + list(container.command)
        env = {"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE", "AWS_REGION": self.caller.region,
               "AWS_DEFAULT_REGION": self.caller.region, **container.env}
        spec = container_spec(environment, self.address, self.hostname, argv, env,
                              container.definition.get("workingDirectory"))
        folder = sandboxes.new_dir("task")
        spec_path = sandboxes.write_spec(folder, spec)
        if container.definition.get("healthCheck"):
            container.health = HealthCheck(container.definition["healthCheck"], spec["env"])
        container.sandbox = SUPERVISOR.start(container.name, folder, sandboxes.launch_argv(spec_path),
                                             os.path.join(folder, "output.log"),
                                             on_exit=lambda sandbox, c=container: self.container_exited(c, sandbox))
        if container.health:
            container.health.start(container.sandbox)

    def fail_to_start(self, container, reason, pulled=False):
        with self.lock:
            container.reason = reason
            for c in self.containers:
                c.status = "STOPPED"
            self.stop_code, self.stopped_reason = "TaskFailedToStart", reason
            self.desired_status = "STOPPED"
            self.stopping_at = self.stopped_at = time.time()
            self.last_status = "STOPPED"
        self.stopped_in_moto()

    def container_exited(self, container, sandbox):
        with self.lock:
            container.status, container.exit_code = "STOPPED", sandbox.exit_code
            if container.health:
                container.health.stop()
            cannot_start = sandboxes.read_status(sandbox.folder)
            if cannot_start:
                container.reason = f"CannotStartContainerError: {cannot_start}"
                container.exit_code = None
                self.set_stop("TaskFailedToStart", container.reason)
            elif container.essential:
                self.set_stop(*ESSENTIAL_EXITED)
            if container.essential:
                self.stop_containers(None)
            finished = all(c.status == "STOPPED" for c in self.containers)
            if finished:
                self.last_status, self.stopped_at = "STOPPED", time.time()
        if finished:
            self.stopped_in_moto()

    def set_stop(self, code, reason):
        if self.stop_code is None:
            self.stop_code, self.stopped_reason = code, reason
        self.desired_status = "STOPPED"
        self.stopping_at = self.stopping_at or time.time()
        if self.last_status in ("PENDING", "RUNNING"):
            self.last_status = "DEACTIVATING"

    def stop_containers(self, grace):
        for c in self.containers:
            if c.sandbox is not None and c.sandbox.alive():
                c.sandbox.stop(c.stop_timeout if grace is None else grace)

    def stop(self, code, reason):
        """StopTask or a Spot interruption: SIGTERM now, SIGKILL after each stopTimeout."""
        with self.lock:
            if self.last_status == "STOPPED":
                return
            self.set_stop(code, reason)
            self.stop_containers(None)

    def kill(self):
        with self.lock:
            for c in self.containers:
                if c.sandbox is not None:
                    c.sandbox.kill()

    def stopped_in_moto(self):
        try:
            upstream.ecs_json(self.caller, "StopTask", {"cluster": self.cluster, "task": self.arn,
                                                       "reason": self.stopped_reason or ""})
        except Exception:  # noqa: BLE001  (moto already forgot it: nothing to keep in step)
            pass


def reference(image):
    """An image as a registry resolves it: docker.io/library/ and :latest filled in."""
    name = image.split("@", 1)[0]
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if "/" in name else "library/" + name)
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


class Tasks(Records):
    def __init__(self):
        super().__init__()
        self.definitions = {}  # (account, region, arn) -> task definition (immutable in ECS)

    def definition(self, call, arn):
        key = (call.account, call.region, arn)
        with self.lock:
            known = self.definitions.get(key)
        if known is None:
            known = upstream.ecs_json(call, "DescribeTaskDefinition", {"taskDefinition": arn})["taskDefinition"]
            with self.lock:
                self.definitions[key] = known
        return known

    def run(self, call, moto_task, overrides):
        task = self.add(moto_task["taskArn"], Task(call, moto_task))
        task.start(self.definition(call, moto_task["taskDefinitionArn"]), overrides)
        return task


TASKS = Tasks()
