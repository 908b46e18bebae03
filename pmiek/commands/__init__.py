"""One module per `pmiek` subcommand; each has `register(subparsers)` that sets `func`."""

from __future__ import annotations

import argparse


def oude_spelling(parser: argparse.ArgumentParser, oud: str, **kwargs) -> None:
    """Accept an option's former (Dutch) spelling without listing it in `--help`: the flags are
    English now (naming rule in docs/ontwikkelaars.md), but scripts and unit files written against
    the old spelling keep working. `kwargs` must give the same `dest` and action as the new option."""
    parser.add_argument(oud, help=argparse.SUPPRESS, **kwargs)
