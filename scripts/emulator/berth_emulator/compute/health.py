"""Container health checks, as the ECS agent runs them through Docker: the command runs inside
the container (its filesystem, hostname and PID namespace, its environment), first `interval`
seconds after the container started and then every `interval`; a run that exits 0 within
`timeout` passes. One pass makes the container HEALTHY; `retries` failures in a row make it
UNHEALTHY, except that failures within `startPeriod` do not count while it has never passed.
Until then it is UNKNOWN. Defaults and bounds are ECS's (interval 30 s, timeout 5 s, retries 3,
startPeriod 0). `CMD-SHELL` runs its string with /bin/sh -c, `CMD` its arguments; `NONE`
disables the check."""

import os
import signal
import subprocess
import threading


class HealthCheck:
    def __init__(self, definition, env):
        command = list(definition.get("command") or [])
        self.argv = (["/bin/sh", "-c", " ".join(command[1:])] if command[:1] == ["CMD-SHELL"]
                     else command[1:] if command[:1] == ["CMD"] else [])
        self.interval = float(definition.get("interval") or 30)
        self.timeout = float(definition.get("timeout") or 5)
        self.retries = int(definition.get("retries") or 3)
        self.start_period = float(definition.get("startPeriod") or 0)
        self.env = env
        self.status = "UNKNOWN"
        self.failures = 0
        self.passed_once = False
        self.done = threading.Event()

    @property
    def enabled(self):
        return bool(self.argv)

    def start(self, sandbox):
        if self.enabled:
            threading.Thread(target=self.loop, args=(sandbox,), name=f"health-{sandbox.name}", daemon=True).start()

    def stop(self):
        self.done.set()

    def loop(self, sandbox):
        waited = 0.0
        while not self.done.wait(self.interval):
            waited += self.interval
            pid = sandbox.init_pid
            if pid is None or not sandbox.alive():
                return
            self.record(self.run(pid), in_start_period=waited <= self.start_period)

    def record(self, passed, in_start_period=False):
        if passed:
            self.status, self.failures, self.passed_once = "HEALTHY", 0, True
        elif not (in_start_period and not self.passed_once):
            self.failures += 1
            if self.failures >= self.retries:
                self.status = "UNHEALTHY"

    def run(self, pid):
        argv = ["nsenter", "--target", str(pid), "--mount", "--uts", "--pid", "--root", "--wd", "--", *self.argv]
        process = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            return process.wait(self.timeout) == 0
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return False


def task_health(checks):
    """A task's healthStatus from its essential containers' checks (None: no check)."""
    statuses = [c.status for c in checks if c is not None and c.enabled]
    if not statuses:
        return "UNKNOWN"
    if "UNHEALTHY" in statuses:
        return "UNHEALTHY"
    return "HEALTHY" if all(s == "HEALTHY" for s in statuses) else "UNKNOWN"
