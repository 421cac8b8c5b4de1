"""Imported by the lessons registry on first use: importing each experiment module registers its lessons."""
from importlib import import_module

from .core import BUILTIN_MODULES

for _module in BUILTIN_MODULES:
    import_module(_module)
