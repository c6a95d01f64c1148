"""Lazy public names: a package maps each name to the submodule that defines it.

Heavy submodules (numba kernels, librosa, matplotlib) are imported on first use,
so ``import vqtoolkit`` stays fast.
"""

from __future__ import annotations

import importlib


def lazy_attributes(package: str, table: dict[str, str], namespace: dict):
    """Return ``(__getattr__, __dir__)`` for ``package`` resolving ``table[name]`` on demand."""

    def __getattr__(name):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
