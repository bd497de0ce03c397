"""Starts sandboxes (sandbox.py), stops them and reports how they ended.

Every sandbox is started by one thread, the spawner, which lives as long as the emulator:
`setpriv --pdeathsig` ties a sandbox to the thread that forked it, not to the process, so a
sandbox started from a request's thread would be killed when that connection's thread ended.

Stopping is Docker's: SIGTERM to the sandbox's PID 1, then SIGKILL after the grace period
(killing unshare, whose --kill-child takes PID 1, and so the whole PID namespace, with it).
Exit codes are Docker's too: a process killed by signal N exits 128+N."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time


class Sandbox:
    def __init__(self, name, folder, process, on_exit):
        self.name = name
        self.folder = folder
        self.process = process
        self.on_exit = on_exit
        self.exit_code = None
        self.exited = threading.Event()
        self.kill_timer = None

    @property
    def init_pid(self):
        """The host PID of the sandbox's PID 1 (the child unshare forked), or None."""
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                children = f.read().split()
            return int(children[0]) if children else None
        except OSError:
            return None

    def alive(self):
        return not self.exited.is_set()

    def stop(self, grace_seconds):
        """SIGTERM to PID 1 now, SIGKILL after grace_seconds if it is still there."""
        if not self.alive():
            return
        pid = self.init_pid
        if pid is None:
            return self.kill()
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self.kill_timer is None:
            self.kill_timer = threading.Timer(grace_seconds, self.kill)
            self.kill_timer.daemon = True
            self.kill_timer.start()

    def kill(self):
        """SIGKILL, no warning: everything in the sandbox dies at once."""
        if self.alive():
            try:
                os.kill(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self, timeout=None):
        return self.exited.wait(timeout)


class Supervisor:
    def __init__(self):
        self.lock = threading.Lock()
        self.sandboxes = []
        self.requests = queue.Queue()
        self.spawner = None

    def spawn_loop(self):
        while True:
            job = self.requests.get()
            argv, log_path, result, done = job
            try:
                with open(log_path, "ab") as log:
                    result.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                   start_new_session=True, env=base_env()))
            except Exception as error:  # noqa: BLE001  (reported to the caller)
                result.append(error)
            done.set()

    def start(self, name, folder, argv, log_path, on_exit=None):
        """Starts a sandbox; `on_exit(sandbox)` runs when it has ended (exit_code set)."""
        with self.lock:
            if self.spawner is None:
                self.spawner = threading.Thread(target=self.spawn_loop, name="berth-compute-spawner", daemon=True)
                self.spawner.start()
        result, done = [], threading.Event()
        self.requests.put((argv, log_path, result, done))
        done.wait()
        if isinstance(result[0], Exception):
            raise result[0]
        sandbox = Sandbox(name, folder, result[0], on_exit)
        with self.lock:
            self.sandboxes.append(sandbox)
        threading.Thread(target=self.watch, args=(sandbox,), name=f"berth-compute-{name}", daemon=True).start()
        return sandbox

    def watch(self, sandbox):
        code = sandbox.process.wait()
        sandbox.exit_code = code if code >= 0 else 128 - code
        if sandbox.kill_timer:
            sandbox.kill_timer.cancel()
        sandbox.exited.set()
        with self.lock:
            self.sandboxes.remove(sandbox)
        if sandbox.on_exit:
            try:
                sandbox.on_exit(sandbox)
            except Exception as error:  # noqa: BLE001  (this thread has no caller to tell)
                print(f"compute: after {sandbox.name} exited: {error!r}", file=sys.stderr, flush=True)

    def running(self):
        with self.lock:
            return list(self.sandboxes)

    def shutdown(self, timeout=10):
        """Kills every sandbox (the emulator is going away) and waits for them to be gone."""
        for sandbox in self.running():
            sandbox.kill()
        deadline = time.monotonic() + timeout
        for sandbox in self.running():
            sandbox.wait(max(0.0, deadline - time.monotonic()))


def base_env():
    """What unshare and sandbox_init run with; a container's own environment is in its spec."""
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


SUPERVISOR = Supervisor()
