"""Emulated compute: the emulator runs what AWS would run, as local processes with real Dask.

Off unless turned on: for every account (`python3 -m berth_emulator --compute`, which
`scripts/emulator/start --compute` passes) or for one moto account (`POST /__berth/compute`),
so the crash and fault suites keep the state-only emulation. When it is on for an account:

  images       which images can be "pulled": each maps to a local venv with the image's Dask
  addresses    a loopback address (127.x.y.z) per task or instance: its private IP
  sandbox      the command line that starts a sandbox: a private mount and PID namespace whose
               root is an overlay of the host's, so nothing inside outlives it or writes outside
  sandbox_init runs inside it: the mounts, then the container's command, or an instance's init
  supervisor   starts sandboxes from one long-lived thread, stops them (SIGTERM, then SIGKILL),
               reports their exit; none outlives the emulator
  health       container health checks, run inside the container as Docker runs them
  tasks        ECS tasks: containers per task definition and overrides, status, stop codes
  instances    EC2 instances: user data in a sandbox with shims, shutdown behaviour, console
  shims        docker, dnf/yum, systemctl, shutdown/poweroff inside an instance
  control      /__berth/compute... (on/off, Spot interruption, kill, list)
  container_python/sitecustomize.py
               a container's network as Python programs see it: wildcard and localhost binds
               go to the task's address, and it is the address they find for themselves

The patches that hook the AWS calls are patches/ecs_task_compute.py,
patches/ec2_instance_compute.py and patches/ec2_network_interface_addresses.py.
docs/aws.md ("Emulated compute") describes what is emulated and cites AWS for each behaviour.
"""

import os
import shutil
import tempfile
import threading


class Settings:
    """Whether compute runs, per account, and where the emulator keeps its sandboxes' files."""

    def __init__(self):
        self.lock = threading.Lock()
        self.everywhere = False
        self.accounts = {}  # moto account -> bool (overrides `everywhere`)
        self.control_url = "http://127.0.0.1:4566"
        self.state_dir = None

    def enabled(self, account):
        with self.lock:
            return self.accounts.get(account, self.everywhere)

    def set(self, account, on):
        with self.lock:
            if account is None:
                self.everywhere = on
            else:
                self.accounts[account] = on

    def files(self):
        """The emulator's private folder for sandbox files (specs, consoles, container logs),
        under BERTH_EMULATOR_COMPUTE_DIR when set (scripts/emulator/start sets its state
        folder), so that what a killed emulator leaves goes with that folder."""
        with self.lock:
            if self.state_dir is None:
                self.state_dir = tempfile.mkdtemp(prefix="berth-compute-", dir=os.environ.get("BERTH_EMULATOR_COMPUTE_DIR"))
            return self.state_dir

    def remove_files(self):
        with self.lock:
            if self.state_dir:
                shutil.rmtree(self.state_dir, ignore_errors=True)
                self.state_dir = None


SETTINGS = Settings()


class Records:
    """The emulated tasks or instances, by ARN or id, for the emulator's lifetime."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_id = {}

    def get(self, key):
        with self.lock:
            return self.by_id.get(key)

    def all(self):
        with self.lock:
            return list(self.by_id.values())

    def add(self, key, record):
        with self.lock:
            self.by_id[key] = record
        return record


def enabled_for(call):
    return SETTINGS.enabled(call.account)


def configure(control_url, everywhere=False):
    SETTINGS.control_url = control_url
    SETTINGS.set(None, everywhere)


PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # scripts/emulator
