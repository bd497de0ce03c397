"""A STAND-IN, for instances the compute emulation does not run (it is off for their account:
the crash, fault and state-only suites). AWS runs an instance's user data at first boot and
its output reaches the console, which GetConsoleOutput returns (the most recent 64 KB, base64;
with `Latest=true` on Nitro instances, the latest output rather than a buffer posted at state
changes). Berth's VM boot script (Sources/Provisioning/Dask/VMUserData.swift) writes its
readiness on the console: a line when the Dask process answers `/health`, and on the
scheduler a line with the number of connected workers each time it changes.

Nothing runs here, so nothing could write those lines. This patch answers GetConsoleOutput for
a running instance whose user data starts a Dask process (`dask scheduler` or `dask worker`,
recorded at RunInstances) with the console such an instance shows once it has booted and
Dask serves: a few boot lines, then Berth's lines, the scheduler's count being the running
instances whose user data starts a worker aimed at the scheduler's private address (the
workers Dask would have connected). It reproduces Berth's line formats, not Dask: it cannot
show a Dask process that fails to start, or one killed (those need the compute emulation,
under which the real console is returned and this patch stays out of the way).

moto 5.2.1 returns the same fixed text for every instance (a 2006 Xen kernel's boot lines,
`SAMPLE_CONSOLE_OUTPUT` in moto/ec2/responses/general.py), whatever its user data.

AWS sources:
- GetConsoleOutput ("Gets the console output for the specified instance"; `Latest`: "When
  enabled, retrieves the latest console output for the instance. Default: disabled (false)";
  the output is base64),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleOutput.html
- user data run by cloud-init at first boot, its output in the console log,
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
- instance console output, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshoot-unreachable-instance.html#instance-console-console-output
"""

import base64
import re
import threading

from .. import upstream
from ..compute.instances import INSTANCES
from ..registry import after

OUTPUT = re.compile(rb"<output>.*?</output>", re.S)
SCHEDULER_PORT = "8786"

# Berth's console lines (VMUserData.healthyLine, VMUserData.workersLine).
HEALTHY = "berth: the Dask {role} is healthy"
WORKERS = "berth: workers connected: {count}"
BOOT = ("[    0.000000] Linux version 6.1.0 (emulated boot: the emulator runs no instance here)",
        "[  OK  ] Reached target Cloud-init target.",
        "cloud-init: running the user data (stand-in: Berth's Dask lines, not a real run)")

_LOCK = threading.Lock()
_USER_DATA = {}  # (account, region, instance id) -> (role, user data text)


def role_of(user_data):
    if re.search(r"\bdask\s+scheduler\b", user_data):
        return "scheduler"
    if re.search(r"\bdask\s+worker\b", user_data):
        return "worker"
    return None


def decode(value):
    try:
        return base64.b64decode(value or "").decode("utf-8", "replace")
    except ValueError:
        return ""


@after("ec2", "RunInstances")
def remember(call, response):
    """Records each new instance's role, from the user data it was launched with."""
    if response.status != 200:
        return response
    user_data = decode(call.form.get("UserData"))
    role = role_of(user_data)
    if role is not None:
        with _LOCK:
            for instance_id in re.findall(rb"<instanceId>(i-[0-9a-f]+)</instanceId>", response.body):
                _USER_DATA[(call.account, call.region, instance_id.decode())] = (role, user_data)
    return response


def recorded(call):
    with _LOCK:
        return (call.account, call.region, call.form.get("InstanceId", "")) in _USER_DATA


def not_emulated(call):
    return INSTANCES.get(call.form.get("InstanceId", "")) is None and recorded(call)


def running_instances(call, ids):
    root = upstream.ec2_query(call, "DescribeInstances", {
        **{f"InstanceId.{n}": i for n, i in enumerate(ids, start=1)},
        **upstream.filters(instance_state_name="running")})
    return {item.findtext("instanceId"): item.findtext("privateIpAddress") or ""
            for item in root.iter("item") if (item.findtext("instanceId") or "").startswith("i-")}


@after("ec2", "GetConsoleOutput", when=not_emulated)
def booted_console(call, response):
    if response.status != 200:
        return response
    instance_id = call.form["InstanceId"]
    with _LOCK:
        role, _ = _USER_DATA[(call.account, call.region, instance_id)]
        mine = {key[2]: value for key, value in _USER_DATA.items() if key[:2] == (call.account, call.region)}
    running = running_instances(call, sorted(mine))
    if instance_id not in running:
        return response  # not booted (pending) or gone: moto's answer
    lines = list(BOOT) + [HEALTHY.format(role=role)]
    if role == "scheduler":
        target = f"{running[instance_id]}:{SCHEDULER_PORT}"
        count = sum(1 for other, (other_role, text) in mine.items()
                    if other_role == "worker" and other in running and target in text)
        lines.append(WORKERS.format(count=count))
    output = base64.b64encode("\n".join(lines).encode() + b"\n")
    return response._replace(body=OUTPUT.sub(lambda m: b"<output>" + output + b"</output>", response.body, count=1))
