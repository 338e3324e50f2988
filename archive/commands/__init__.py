"""The ``newsarchive`` subcommands, one module each.

A module here with a ``register(subparsers)`` function is a subcommand: adding a command is
adding a file, nothing else to edit. ``options`` holds what they share.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType


def command_modules() -> Iterator[ModuleType]:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            yield module
