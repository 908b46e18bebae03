"""`pmiek serve`: the scheduled sync service (runs until SIGTERM)."""

from __future__ import annotations

from pathlib import Path

from sync.config import laad_config


def register(sub) -> None:
    p = sub.add_parser("serve", help="draai de synchronisatiedienst volgens het schema (tot SIGTERM)")
    p.add_argument("--config", type=Path, required=True, help="configuratiebestand (TOML)")
    p.set_defaults(func=run)


def run(args) -> int:
    from sync.dienst import serve
    return serve(laad_config(args.config))
