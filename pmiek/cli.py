"""`pmiek` console script: parses the command line and dispatches to one command module.

Errors raised on purpose (`fiche.errors.PmiekError`) end as their Dutch message on stderr and an
English log line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from fiche.errors import FileRefused, InputError, PmiekError
from pmiek.logsetup import setup_logging

log = logging.getLogger("pmiek.cli")

#: Command modules under `pmiek.commands`, in the order `pmiek --help` lists them.
COMMANDS = ["schema", "template", "validate", "sync", "serve", "status", "demo", "report"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmiek", description="pMIEK Monitor, Provincie Drenthe")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"pmiek.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        log.error("input error: %s", exc)
        print(f"Fout: {exc.melding}", file=sys.stderr)
        return EXIT_USAGE
    except FileRefused as exc:
        log.error("file refused: %s", exc)
        print(f"Fout: {exc.melding}", file=sys.stderr)
        return EXIT_USAGE
    except PmiekError as exc:
        log.error("failed: %s", exc)
        print(f"Fout: {exc.melding}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
