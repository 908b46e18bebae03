"""`pmiek serve`: the scheduled sync service (runs until SIGTERM)."""

from __future__ import annotations

from pathlib import Path

from sync.config import laad_config


def register(sub) -> None:
    p = sub.add_parser("serve", help="draai de synchronisatiedienst volgens het schema (tot SIGTERM)")
    p.add_argument("--config", type=Path, required=True, help="configuratiebestand (TOML)")
    from pmiek.commands.sync import nieuwe_store_optie
    nieuwe_store_optie(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from sync.dienst import serve
    return serve(laad_config(args.config), nieuwe_store=args.nieuwe_store)
