"""Runs first inside a sandbox (see sandbox.py), as PID 1 of its own PID, mount and UTS
namespaces: python3 -I sandbox_init.py SPEC.json. Standalone (stdlib only, no package imports),
because it starts before anything else is set up.

It mounts the sandbox's root: a tmpfs holding an overlay whose lower layer is the root it
was started in (the host's, or an instance's for a `docker run` inside one), so what runs
inside may write anywhere and nothing reaches the layer below; then a fresh /proc (this PID
namespace's), the host's /dev and /sys, a private /dev/shm, the spec's files (/etc/hosts,
shims, user data) and volumes. Then it chroots and
  - container: execs the container's command, which becomes PID 1 as in a container without
    an init: when it exits the kernel kills everything else inside;
  - instance: stays as the instance's init. It runs the user data (a shell script, as
    cloud-init runs it once at first boot) with its output on the console, reaps orphans, and
    on SIGTERM (the machine shutting down) sends SIGTERM to every process, waits up to the
    grace period, and exits, which kills what is left.
A container whose command cannot start writes why to SPEC's "status" file and exits 127."""

import ctypes
import json
import os
import signal
import socket
import sys
import time

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
libc = ctypes.CDLL(None, use_errno=True)


def mount(source, target, fstype, flags=0, data=None):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target} ({fstype}): {os.strerror(err)}")


def inside(root, path):
    return os.path.join(root, path.lstrip("/"))


def prepare_root(spec):
    work = spec["work"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", work, "tmpfs", 0, "mode=0755")
    upper, scratch, root = (os.path.join(work, d) for d in ("upper", "work", "root"))
    for d in (upper, scratch, root):
        os.mkdir(d)
    mount("overlay", root, "overlay", 0, f"lowerdir=/,upperdir={upper},workdir={scratch}")
    os.makedirs(inside(root, "/proc"), exist_ok=True)
    mount("proc", inside(root, "/proc"), "proc", MS_NOSUID | MS_NODEV)
    for system in ("/dev", "/sys"):
        mount(system, inside(root, system), None, MS_BIND | MS_REC)
    mount("tmpfs", inside(root, "/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    if spec.get("console"):
        mount(spec["console"], inside(root, "/dev/console"), None, MS_BIND)
    for path in spec.get("remove", []):
        if os.path.lexists(inside(root, path)):
            os.unlink(inside(root, path))  # a whiteout in the overlay; the layer below keeps it
    for path, (content, mode) in spec.get("files", {}).items():
        target = inside(root, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(target):
            os.unlink(target)
        with open(target, "w") as f:
            f.write(content)
        os.chmod(target, mode)
    for host_path, container_path, read_only in spec.get("volumes", []):
        target = inside(root, container_path)
        if os.path.isdir(host_path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(host_path, target, None, MS_BIND | MS_REC)
        if read_only:
            mount(None, target, None, MS_BIND | MS_REC | MS_RDONLY | 32)  # 32: MS_REMOUNT
    return root


def run_container(spec):
    env = spec["env"]
    try:
        os.chdir(spec.get("workdir") or "/")
        # From here the container counts as started (RUNNING): tell the emulator, then exec.
        open(spec["status_in_root"] + ".started", "w").close()
        os.execvpe(spec["argv"][0], spec["argv"], env)
    except OSError as error:
        cannot_start(spec, f'failed to create containerd task: exec: "{spec["argv"][0]}": {error.strerror}')


def cannot_start(spec, reason):
    print(reason, file=sys.stderr, flush=True)
    try:
        with open(spec["status_in_root"], "w") as f:
            f.write(reason)
    except OSError:
        pass
    os._exit(127)


class ShuttingDown(Exception):
    pass


def shutting_down(*_):
    raise ShuttingDown


def run_instance(spec):
    init = spec["init"]
    signal.signal(signal.SIGTERM, shutting_down)
    user_data = init.get("user_data")
    child = None
    try:
        if user_data:
            child = os.fork()
            if child == 0:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.setsid()
                os.chdir("/")
                try:
                    os.execve(user_data, [user_data], init["env"])
                except OSError as error:
                    print(f"cloud-init: the user data is not a script this emulation runs ({error.strerror})",
                          flush=True)
                    os._exit(126)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                signal.pause()
                continue
            if pid == child:
                print(f"cloud-init: user data exited with {os.waitstatus_to_exitcode(status)}", flush=True)
    except ShuttingDown:
        pass
    # The machine shuts down: every process gets SIGTERM, then whoever is left dies with us.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    deadline = time.monotonic() + float(init.get("grace", 10))
    try:
        os.kill(-1, signal.SIGTERM)
    except ProcessLookupError:
        pass
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
        except ChildProcessError:
            break
    os._exit(0)


def main():
    # PID 1 ignores signals it has no handler for: until the container's command takes over
    # (exec resets this), a stop must still end the sandbox.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(128 + signal.SIGTERM))
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    os.unlink(sys.argv[1])  # it may hold the container's environment
    if spec.get("hostname"):
        socket.sethostname(spec["hostname"])
    try:
        root = prepare_root(spec)
        spec["status_in_root"] = spec.get("status", "/dev/null")
        status_dir = os.path.dirname(spec["status_in_root"])
        # The status file is written on the host's side of the chroot: keep a handle on it.
        status_fd = os.open(status_dir, os.O_RDONLY) if spec.get("status") else None
        os.chroot(root)
        if status_fd is not None:
            spec["status_in_root"] = f"/proc/self/fd/{status_fd}/{os.path.basename(spec['status'])}"
    except OSError as error:
        print(f"sandbox: {error}", file=sys.stderr, flush=True)
        os._exit(125)
    if spec["kind"] == "instance":
        run_instance(spec)
    else:
        run_container(spec)


if __name__ == "__main__":
    main()
