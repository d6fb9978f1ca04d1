"""The command table: one module per family, each registering CommandSpecs.

Importing this package loads every family, so the table is complete.
"""

from weir.commands.table import COMMANDS, CommandSpec, command, lookup

__all__ = ["COMMANDS", "CommandSpec", "command", "load_all", "lookup"]


def load_all() -> None:
    """Import every command family (each registers itself on import)."""
    import importlib
    import pkgutil

    import weir.commands as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in ("table", "args"):
            importlib.import_module(f"weir.commands.{info.name}")
