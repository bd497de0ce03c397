"""EC2 instances run their user data: each instance is a sandbox (sandbox.py) whose init runs
the user data once, as cloud-init runs a shell script at first boot, with its output on the
instance's console (GetConsoleOutput). Its filesystem is the host's under a private overlay,
with shims (shims.py) for what an Amazon Linux 2023 image would have: dnf/yum (which "install"
docker), systemctl, docker (present from the start on ECS-optimized images, whose names
contain "ecs"), and shutdown/poweroff/halt, which tell the emulator; the instance then stops
or terminates per its InstanceInitiatedShutdownBehavior (default stop). Its private IP is a
loopback address (addresses.py) in every EC2 answer.

Stopping or terminating an instance (the API, a shutdown from inside, a Spot interruption)
shuts its sandbox down: SIGTERM to every process, SIGKILL 10 s later. A stopped instance that
is started again runs no sandbox (not emulated: an instance's disk does not survive here)."""

import base64
import os
import re
import threading

from .. import upstream
from . import SETTINGS, Records, sandbox as sandboxes
from .addresses import ADDRESSES
from .containers import SYSTEM_PATH, hostname_for, network_env, network_files
from .supervisor import SUPERVISOR
from .tasks import Caller

SHUTDOWN_GRACE = 10
CONSOLE_LIMIT = 64 * 1024  # GetConsoleOutput returns the most recent 64 KB
SHIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims.py")
USER_DATA = "/var/lib/cloud/instance/user-data.txt"
USER_SCRIPT = "/var/lib/cloud/instance/scripts/part-001"
DOCKER_AVAILABLE = "/usr/libexec/berth-emulator/docker"  # what `dnf install docker` puts in place
INSTANCE_INITIATED = ("Client.InstanceInitiatedShutdown", "Client.InstanceInitiatedShutdown: Instance initiated shutdown")
SPOT_TERMINATION = ("Server.SpotInstanceTermination",
                    "Server.SpotInstanceTermination: Spot instance termination")


class Instance:
    def __init__(self, call, instance_id, moto_ip, params):
        self.lock = threading.Lock()
        self.caller = Caller(call)
        self.id = instance_id
        self.address = ADDRESSES.allocate()
        self.hostname = hostname_for(self.address, call.region)
        ADDRESSES.remember(call.account, call.region, moto_ip, self.address)
        self.shutdown_behavior = params.get("InstanceInitiatedShutdownBehavior") or "stop"
        self.spot = params.get("InstanceMarketOptions.MarketType") == "spot"
        self.image_id = params.get("ImageId", "")
        self.user_data = decode_user_data(params.get("UserData"))
        self.state = "running"
        self.state_reason = None
        self.sandbox = None
        self.console = None

    def shim(self, name):
        env = (f"BERTH_SHIM_INSTANCE={self.id} BERTH_SHIM_CONTROL={SETTINGS.control_url} "
               f"BERTH_SHIM_ADDRESS={self.address} BERTH_SHIM_HOSTNAME={self.hostname}")
        python = os.path.realpath(__import__("sys").executable)
        return f'#!/bin/sh\n{env} exec {python} -I {SHIMS} {name} "$@"\n'

    def files(self, docker_installed):
        files = network_files(self.address, self.hostname)
        for name in ("dnf", "yum", "systemctl", "aws"):
            files[f"/usr/local/bin/{name}"] = (self.shim(name), 0o755)
        for name in ("shutdown", "poweroff", "halt", "reboot"):
            for folder in ("/usr/local/sbin", "/usr/sbin", "/sbin"):
                files[f"{folder}/{name}"] = (self.shim(name), 0o755)
        files[DOCKER_AVAILABLE] = (self.shim("docker"), 0o755)
        if docker_installed:
            files["/usr/bin/docker"] = (self.shim("docker"), 0o755)
            files["/run/docker.pid"] = ("1\n", 0o644)
        # cloud-init keeps the instance's id here (a script can name itself without IMDS).
        files["/var/lib/cloud/data/instance-id"] = (self.id + "\n", 0o644)
        if self.user_data is not None:
            text = self.user_data.decode("utf-8", "replace")
            files[USER_DATA] = (text, 0o600)
            files[USER_SCRIPT] = (text, 0o700)
        return files

    def boot(self, docker_installed):
        folder = sandboxes.new_dir("instance")
        self.console = os.path.join(folder, "console.log")
        open(self.console, "wb").close()
        env = {"PATH": SYSTEM_PATH, "HOME": "/root", "LANG": "C.UTF-8", "HOSTNAME": self.hostname,
               **network_env(self.address)}
        # The host's own docker client, if any, is not the image's: hidden on every image (on one
        # that ships Docker too, where /usr/local/bin/docker would come first on PATH and talk to
        # no daemon); the image's own is the shim at /usr/bin/docker (files()).
        hidden = ["/usr/bin/docker", "/usr/local/bin/docker"]
        spec = {"kind": "instance", "hostname": self.hostname, "files": self.files(docker_installed),
                "remove": hidden, "console": self.console,
                "init": {"user_data": USER_SCRIPT if self.user_data is not None else None, "env": env,
                         "grace": SHUTDOWN_GRACE}}
        path = sandboxes.write_spec(folder, spec)
        self.sandbox = SUPERVISOR.start(self.id, folder, sandboxes.launch_argv(path), self.console)

    def console_output(self):
        try:
            with open(self.console, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - CONSOLE_LIMIT))
                return f.read()
        except (OSError, TypeError):
            return b""

    def shut_down(self, state, reason=None):
        """The machine goes down: processes get SIGTERM, then SIGKILL after the grace period."""
        with self.lock:
            self.state = state
            if reason:
                self.state_reason = reason
        if self.sandbox is not None:
            self.sandbox.stop(SHUTDOWN_GRACE)

    def shutdown_from_inside(self):
        """`shutdown` returns at once, then the machine goes down (after the control call that
        the shim made has been answered)."""
        terminate = self.shutdown_behavior == "terminate"
        self.go_down("TerminateInstances" if terminate else "StopInstances", INSTANCE_INITIATED)

    def interrupt(self):
        self.go_down("TerminateInstances", SPOT_TERMINATION)

    def go_down(self, action, reason):
        with self.lock:
            self.state_reason = reason

        def run():
            try:
                upstream.ec2_query(self.caller, action, {"InstanceId.1": self.id})
            except Exception:  # noqa: BLE001  (already gone in moto)
                pass
            self.shut_down("terminated" if action == "TerminateInstances" else "stopped")
        threading.Thread(target=run, daemon=True).start()

    def kill(self):
        """Every process on the instance gets SIGKILL; the instance (its init) stays up."""
        pid = self.sandbox.init_pid if self.sandbox else None
        if pid is None:
            return
        namespace = os.readlink(f"/proc/{pid}/ns/pid")
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != pid:
                try:
                    if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                        os.kill(int(entry), 9)
                except OSError:
                    pass


def decode_user_data(value):
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=False)
    except ValueError:
        return value.encode()


class Instances(Records):
    def launch(self, call, instance_id, moto_ip, params, docker_installed):
        instance = self.add(instance_id, Instance(call, instance_id, moto_ip, params))
        instance.boot(docker_installed)
        return instance


INSTANCES = Instances()


def image_has_docker(call, image_id):
    """ECS-optimized AMIs ship Docker (their names contain "ecs"); Amazon Linux 2023 does not."""
    try:
        root = upstream.ec2_query(call, "DescribeImages", {"ImageId.1": image_id})
        return any("ecs" in (e.text or "").lower() for e in root.iter("name"))
    except Exception:  # noqa: BLE001
        return False


STATE_REASON = re.compile(rb"(<stateReason>\s*<code>)(.*?)(</code>\s*<message>)(.*?)(</message>)", re.S)
ITEM_TAG = re.compile(rb"<(/?)item>")


def instance_items(body):
    """(start, end) of each instance's <item> in a DescribeInstances or RunInstances answer."""
    spans = []
    for set_match in re.finditer(rb"<instancesSet>(.*?)</instancesSet>", body, re.S):
        depth, start = 0, None
        for tag in ITEM_TAG.finditer(body, set_match.start(1), set_match.end(1)):
            if not tag.group(1):
                depth += 1
                if depth == 1:
                    start = tag.start()
            else:
                depth -= 1
                if depth == 0:
                    spans.append((start, tag.end()))
    return spans


def rewrite_state_reasons(body):
    """The stateReason of each instance whose shutdown the emulator knows better than moto
    (from inside the instance, a Spot interruption)."""
    reasons = {i.id: i.state_reason for i in INSTANCES.all() if i.state_reason is not None}
    if not reasons:
        return body
    for start, end in reversed(instance_items(body)):
        item = body[start:end]
        found = re.search(rb"<instanceId>(i-[0-9a-f]+)</instanceId>", item)
        reason = reasons.get(found.group(1).decode()) if found else None
        if reason:
            code, message = (s.encode() for s in reason)
            item = STATE_REASON.sub(lambda m: m.group(1) + code + m.group(3) + message + m.group(5), item, count=1)
            body = body[:start] + item + body[end:]
    return body
