"""What a container of an emulated image gets: its command, environment and files, for a
sandbox (sandbox.py). Shared by ECS tasks (tasks.py) and `docker run` on an instance (shims.py).

The image's filesystem is the host's seen through the sandbox's overlay, with the image's
environment (images.py) first on PATH, as /opt/conda/bin is in Dask's image; its network is the
task's or instance's loopback address (container_python/sitecustomize.py, and /etc/hosts
naming that address localhost)."""

import os

from .images import path_of

CONTAINER_PYTHON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "container_python")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def hostname_for(address, region):
    """EC2's private DNS name form, ip-a-b-c-d.<region>.compute.internal."""
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{address.replace('.', '-')}.{domain}"


def network_files(address, hostname):
    hosts = f"{address}\tlocalhost {hostname} {hostname.split('.')[0]}\n"
    return {"/etc/hosts": (hosts, 0o644), "/etc/hostname": (hostname + "\n", 0o644)}


def network_env(address):
    """Variables that put a Python program on the task's address (sitecustomize.py)."""
    return {"BERTH_EMULATOR_ADDRESS": address, "PYTHONPATH": CONTAINER_PYTHON}


def container_spec(environment, address, hostname, argv, env=None, workdir=None, volumes=(), uts=True):
    """A sandbox spec for one container of an image whose environment is `environment`.
    `env` is the container's own (task definition, overrides, `docker run -e`), which wins
    over the image's; PYTHONPATH keeps the emulation's folder first."""
    full = {"PATH": ":".join(path_of(environment) + [SYSTEM_PATH]), "HOME": "/root", "LANG": "C.UTF-8", "HOSTNAME": hostname}
    full.update(env or {})
    own = network_env(address)
    full["BERTH_EMULATOR_ADDRESS"] = own["BERTH_EMULATOR_ADDRESS"]
    full["PYTHONPATH"] = own["PYTHONPATH"] + (":" + full["PYTHONPATH"] if full.get("PYTHONPATH") else "")
    return {"kind": "container", "hostname": hostname if uts else None, "argv": list(argv), "env": full,
            "workdir": workdir or "/", "volumes": [list(v) for v in volumes], "files": network_files(address, hostname)}


