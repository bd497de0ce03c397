"""The AWS behaviours moto 5.2.1 lacks, one module each; importing this package registers them
all with berth_emulator.registry. A module's docstring cites its AWS source and says what moto
does instead; tests/AWSTests/EmulatorPatchTests.swift shows both side by side.

To add one: a new module here that registers its hooks (see registry.py), its citation in
docs/aws.md, and a Swift test showing raw moto next to the patched behaviour."""

import importlib
import pkgutil


def load_all():
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


load_all()
