"""The ``tradeinbox`` command line.

Every module in :mod:`tradeinbox.commands` is one sub-command. A module defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int`` (and
``NAME`` when the command name is not the module name). Modules import Django
lazily, inside ``run``, so ``--help`` and the pure commands start fast. Adding a
command is adding a file; nothing here needs editing. ``tradeinbox manage ...``
passes everything after it to Django's management commands.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from tradeinbox import __version__, commands


def _command_modules() -> dict[str, str]:
    """Command name -> module name. A module may set ``NAME`` (e.g. "import")."""
    found = {}
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"tradeinbox.commands.{info.name}")
        except Exception as exc:  # noqa: BLE001 - one broken command must not break the others
            print(f"tradeinbox: command module {info.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        found[getattr(module, "NAME", info.name.replace("_", "-"))] = info.name
    return dict(sorted(found.items()))


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, str]]:
    parser = argparse.ArgumentParser(
        prog="tradeinbox",
        description="Email CRM for export sales teams. Data folder: $TRADEINBOX_DATA.",
    )
    parser.add_argument("--version", action="version", version=f"tradeinbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = _command_modules()
    for name, module_name in modules.items():
        module = importlib.import_module(f"tradeinbox.commands.{module_name}")
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    sub.add_parser(
        "manage",
        help="run a Django management command (migrate, createsuperuser, shell ...)",
        add_help=False,
    )
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        from tradeinbox import setup_django

        setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["tradeinbox manage", *argv[1:]])
        return 0
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 0
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
