"""Which container images the compute emulation can "pull": each maps to a local Python
environment (a venv) with the same Python and the same pinned Dask as the image.

This is the one place that names them. scripts/emulator/install-envs builds every environment
listed here (scripts/install-deps calls it); the ECS task runner and the instances' `docker`
shim look images up here. An image that is not listed cannot be pulled: the task stops with
CannotPullContainerError, and `docker run` fails as Docker does.

Why these versions: ghcr.io/dask/dask:2026.7.1-py3.12 is the newest release of Dask's official
image (github.com/dask/dask-docker, tag 2026.7.1, built for Python 3.10-3.14) when this was
written; its Dask and distributed come from conda-forge at 2026.7.1, the same versions as the
wheels below. Clients must run the same Python minor version (cloudpickle), so the environment
uses Python 3.12 too. The transitive pins are what pip resolved on 2026-11 for these two, kept
so that an upstream release cannot change the emulation under the tests.
"""

import dataclasses
import os
from dataclasses import dataclass
from typing import Optional, Tuple

# Where the environments live; install-deps runs as root, so a fixed system path that every
# worktree and CI share. BERTH_EMULATOR_ENVS moves it (for a developer without root).
ENVIRONMENTS_ROOT = os.environ.get("BERTH_EMULATOR_ENVS", "/opt/berth/emulator-envs")


@dataclass(frozen=True)
class Environment:
    name: str  # its folder under ENVIRONMENTS_ROOT
    python: str  # the minor version the image runs, e.g. "3.12"
    requirements: Tuple[str, ...]  # pinned, installed with --no-deps
    # A GPU image (RAPIDS's): the same environment with the dask-cuda stand-in first on PATH
    # (cuda_bin/dask), since there is no GPU here and dask-cuda needs one.
    gpu: bool = False

    @property
    def path(self):
        return os.path.join(ENVIRONMENTS_ROOT, self.name)

    @property
    def bin(self):
        return os.path.join(self.path, "bin")

    @property
    def marker(self):
        """Written last by the installer: the requirements it installed."""
        return os.path.join(self.path, "berth-env-ok")

    def installed(self):
        try:
            with open(self.marker) as f:
                return f.read().split() == list(self.requirements)
        except OSError:
            return False


DASK_2026_7_1_PY312 = Environment(
    name="dask-2026.7.1-py3.12",
    python="3.12",
    requirements=(
        "dask==2026.7.1", "distributed==2026.7.1",
        "click==8.5.1", "cloudpickle==3.1.3", "fsspec==2026.9.0", "Jinja2==3.1.6", "locket==1.0.0",
        "MarkupSafe==3.0.4", "msgpack==1.2.4", "packaging==26.4", "partd==1.4.2", "psutil==7.2.2",
        "PyYAML==6.0.4", "sortedcontainers==2.4.0", "tblib==3.2.2", "toolz==1.2.0", "tornado==6.6.1",
        "zict==3.0.0",
    ),
)

# The image Berth launches by default (Sources/.../DaskImage.swift names the same tag; a test
# checks they agree) and the names a registry also serves it under.
DEFAULT_IMAGE = "ghcr.io/dask/dask:2026.7.1-py3.12"

# The image GPU workers run (DaskImage.gpuDefault): RAPIDS 26.10 for CUDA 12 and Python 3.12,
# whose Dask and distributed are pinned to 2026.7.1 (rapids-dask-dependency 26.10.0 requires
# >=2026.7.1,<2026.7.2), so it maps to the same environment. It also has dask-cuda, which needs
# a GPU and its driver: the emulation runs `dask cuda worker` as a plain `dask worker` with the
# resource GPU=1 (cuda_bin/dask; docs/aws.md says what AWS runs instead).
GPU_IMAGE = "rapidsai/base:26.10-cuda12-py3.12"
DASK_2026_7_1_PY312_GPU = dataclasses.replace(DASK_2026_7_1_PY312, gpu=True)
CUDA_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuda_bin")

IMAGES = {
    DEFAULT_IMAGE: DASK_2026_7_1_PY312,
    "daskdev/dask:2026.7.1-py3.12": DASK_2026_7_1_PY312,
    "docker.io/daskdev/dask:2026.7.1-py3.12": DASK_2026_7_1_PY312,
    GPU_IMAGE: DASK_2026_7_1_PY312_GPU,
    "docker.io/rapidsai/base:26.10-cuda12-py3.12": DASK_2026_7_1_PY312_GPU,
    "nvcr.io/nvidia/rapidsai/base:26.10-cuda12-py3.12": DASK_2026_7_1_PY312_GPU,
}


def environment_for(image) -> Optional[Environment]:
    """The environment an image runs in, or None if the emulation cannot pull it."""
    return IMAGES.get((image or "").strip())


def path_of(environment):
    """The folders a container of the environment finds its commands in, first to last."""
    return ([CUDA_BIN] if environment.gpu else []) + [environment.bin]


def environments():
    """Every environment to install, once each (a GPU image shares its CPU twin's folder)."""
    by_name = {e.name: dataclasses.replace(e, gpu=False) for e in IMAGES.values()}
    return sorted(by_name.values(), key=lambda e: e.name)
