"""How a sandbox starts: `setpriv --pdeathsig SIGKILL unshare --mount --pid --uts --fork
--kill-child=SIGKILL python3 -I sandbox_init.py SPEC`.

- New PID namespace: sandbox_init (or the container's command it becomes) is PID 1 there.
  When it dies the kernel kills every process inside, whatever they did (setsid, double fork,
  a Dask nanny's worker): nothing of a task or instance can outlive it.
- unshare stays outside as its parent; `--kill-child` SIGKILLs PID 1 when unshare dies, and
  `setpriv --pdeathsig` makes unshare die when the emulator thread that started it exits (the
  emulator starts every sandbox from one thread that lives as long as it does), so even a
  SIGKILLed emulator leaves nothing behind.
- New mount namespace: the overlay root that sandbox_init mounts exists only inside.
- New UTS namespace: an instance or task sets its own hostname.
unshare ignores SIGTERM: a graceful stop signals PID 1 itself (supervisor.py)."""

import functools
import itertools
import json
import os
import shutil
import subprocess
import sys

from . import SETTINGS

INIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_init.py")
NAMESPACES = ["--mount", "--pid", "--fork", "--kill-child=SIGKILL", "--propagation", "private"]
_ids = itertools.count(1)


def launch_argv(spec_path, uts=True, pdeathsig=True):
    argv = ["unshare", *NAMESPACES, *(["--uts"] if uts else []), "--", sys.executable, "-I", INIT, spec_path]
    return ["setpriv", "--pdeathsig", "SIGKILL", "--", *argv] if pdeathsig else argv


def new_dir(kind):
    """A fresh folder in the emulator's files for one sandbox: its spec, status and work dir."""
    path = os.path.join(SETTINGS.files(), "sandboxes", f"{kind}-{next(_ids)}")
    os.makedirs(os.path.join(path, "root"), mode=0o700)
    return path


def write_spec(folder, spec):
    """Writes the spec (mode 0600: it may hold the container's environment), which
    sandbox_init deletes once read. Fills in the work dir and status file."""
    spec = dict(spec, work=os.path.join(folder, "root"), status=os.path.join(folder, "status"))
    path = os.path.join(folder, "spec.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    return path


def read_status(folder):
    """Why a container could not start, or None."""
    try:
        with open(os.path.join(folder, "status")) as f:
            return f.read().strip() or None
    except OSError:
        return None


def started(folder):
    """Whether the container's command has been exec'd (sandbox_init marks it just before)."""
    return os.path.exists(os.path.join(folder, "status.started"))


@functools.lru_cache(maxsize=1)
def unavailable():
    """Why sandboxes cannot start on this machine, or None. They need root (or CAP_SYS_ADMIN)
    for namespaces and mounts, and util-linux's unshare and setpriv."""
    for tool in ("unshare", "setpriv", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not installed"
    probe = subprocess.run(["unshare", *NAMESPACES, "--", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create mount and PID namespaces here ({probe.stderr.strip()[:200]}); run as root"
    return None
