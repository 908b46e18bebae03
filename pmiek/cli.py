"""`pmiek` console script: parses the command line and dispatches to one command module.

Errors raised on purpose (`fiche.errors.PmiekError`) end as their Dutch message on stderr, never as
a traceback; the English log line about them only with `-v` or `PMIEK_LOG_LEVEL` (see
`pmiek.logsetup`), and always for `pmiek serve`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys

from sqlalchemy.exc import SQLAlchemyError

from fiche.errors import ConfigError, FileRefused, InputError, PmiekError
from pmiek.logsetup import setup_logging

log = logging.getLogger("pmiek.cli")

#: argparse's user-facing texts in Dutch. argparse looks its messages up through gettext at the
#: moment it prints them, so a translation function in its namespace is all it takes.
_ARGPARSE_NL = {
    "usage: ": "gebruik: ",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fout: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "deze argumenten ontbreken: %s",
    "unrecognized arguments: %s": "onbekende argumenten: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ongeldige keuze: %(value)r (kies uit %(choices)s)",
    "invalid %(type)s value: %(value)r": "ongeldige waarde: %(value)r",
    "expected one argument": "verwacht één waarde",
    "expected at least one argument": "verwacht minstens één waarde",
    "expected at most one argument": "verwacht hoogstens één waarde",
    "ambiguous option: %(option)s could match %(matches)s": "dubbelzinnige optie: %(option)s kan %(matches)s zijn",
    "not allowed with argument %s": "niet toegestaan samen met %s",
    "one of the arguments %s is required": "een van deze argumenten is verplicht: %s",
    "ignored explicit argument %r": "genegeerde waarde %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "onbekende opdracht %(parser_name)r (kies uit %(choices)s)",
    "positional arguments": "argumenten",
    "options": "opties",
    "show this help message and exit": "toon deze hulp en stop",
}


def _argparse_nl(message: str) -> str:
    return _ARGPARSE_NL.get(message, message)


argparse._ = _argparse_nl  # type: ignore[attr-defined]

#: Command modules under `pmiek.commands`, in the order `pmiek --help` lists them.
COMMANDS = ["schema", "template", "validate", "sync", "import_lijst", "serve", "status", "demo", "report", "uitvraag",
            "store"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmiek", description="pMIEK Monitor, Provincie Drenthe")
    parser.add_argument("-v", "--verbose", action="store_true", help="uitgebreide logregels (debug)")
    sub = parser.add_subparsers(dest="command", metavar="OPDRACHT", title="opdrachten")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"pmiek.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose, service=args.command == "serve")
    try:
        code = int(args.func(args) or 0)
        # Flush here, not at interpreter exit, so a closed pipe is handled below.
        sys.stdout.flush()
        return code
    except (InputError, ConfigError) as exc:
        # What the person typed or configured: a usage error, like argparse's own
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
    except BrokenPipeError:
        # The reader of our output went away (`pmiek validate ... | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        # A store or disk fault no command caught (full disk, read-only, corrupt): still a Dutch
        # message with the next step, never a traceback.
        from sync.storebewaking import storefout
        fout = storefout(exc, "")
        if fout is None:
            raise
        log.error("store or disk fault: %s", exc)
        print(f"Fout: {fout.melding}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
