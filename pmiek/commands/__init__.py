"""One module per `pmiek` subcommand; each has `register(subparsers)` that sets `func`."""

from __future__ import annotations

import argparse


def oude_spelling(parser: argparse.ArgumentParser, oud: str, **kwargs) -> None:
    """Accept an option's former (Dutch) spelling without listing it in `--help`: the flags are
    English now (naming rule in docs/ontwikkelaars.md), but scripts and unit files written against
    the old spelling keep working. `kwargs` must give the same `dest` and action as the new option."""
    parser.add_argument(oud, help=argparse.SUPPRESS, **kwargs)


def config_of_store(args):
    """`--config FILE` or `--store FILE|URL` (with `--outbox DIR`), as `report` and `uitvraag` take
    them: the loaded config, or None when `--store` stands alone; a wrong combination is refused."""
    from fiche.errors import InputError
    from sync.config import laad_config

    if args.config is not None:
        if args.store is not None or args.outbox is not None:
            raise InputError("--config cannot be combined with --store/--outbox",
                             "Gebruik óf --config, óf --store (met --outbox), niet beide.")
        config = laad_config(args.config)
        if args.preview is not None and config.store_path is not None and not config.store_path.is_file():
            # Looking must not leave an empty database behind (SQLite creates the file on open).
            raise InputError(f"store {config.store_path} does not exist",
                             f"De database {config.store_path} bestaat nog niet; draai eerst een synchronisatie "
                             "(pmiek sync).")
        return config
    if args.store is None:
        raise InputError("need --config or --store", "Geef --config BESTAND, of --store BESTAND (met --outbox MAP).")
    return None


def store_zonder_config(args, lock_naam: str):
    """`--store FILE|URL` without a config: (URL, lock file, the `[report]` defaults into `--outbox`).
    The lock lies beside a SQLite file; a PostgreSQL store takes an advisory lock instead."""
    from pathlib import Path

    from fiche.errors import InputError
    from sync.config import ReportConfig, store_uit_argument

    url, pad = store_uit_argument(args.store)
    if pad is not None and pad.is_dir():
        raise InputError(f"store {args.store} is a directory", f"De database {args.store} is een map, geen bestand.")
    if pad is not None and not pad.is_file():
        raise InputError(f"store {args.store} does not exist", f"De database {args.store} bestaat niet.")
    if args.send and args.outbox is None:
        raise InputError("--send with --store needs --outbox",
                         "Zonder configuratiebestand verzendt --send naar een map: geef --outbox MAP.")
    inst = ReportConfig(transport="outbox", outbox=(args.outbox or Path("outbox")).resolve())
    lock = pad.with_name(f"{pad.name}.{lock_naam}.lock") if pad is not None else Path(f"pmiek.{lock_naam}.lock")
    return url, lock, inst
