"""`pmiek sync`: one sync run, from a config file or (folder case) from three paths."""

from __future__ import annotations

from pathlib import Path

from fiche.errors import InputError
from pmiek.commands import oude_spelling
from sync.config import config_voor_map, laad_config


def register(sub) -> None:
    p = sub.add_parser("sync", help="synchroniseer de fiches één keer en schrijf het masterwerkboek")
    p.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    p.add_argument("--source", type=Path, help="map met fiches (zonder configuratiebestand)")
    p.add_argument("--store", metavar="BESTAND|URL",
                   help="databasebestand (SQLite) of database-URL (postgresql+psycopg://gebruiker@server/db)")
    p.add_argument("--master", type=Path, help="pad van het masterwerkboek (.xlsx)")
    p.add_argument("--no-progress", dest="geen_voortgang", action="store_true", help="geen voortgangsbalk tonen")
    oude_spelling(p, "--geen-voortgang", dest="geen_voortgang", action="store_true")
    p.add_argument("--allow-empty-source", dest="lege_bron_toestaan", action="store_true",
                   help="een bron zonder enige fiche accepteren (alle bekende fiches gelden dan als verwijderd)")
    oude_spelling(p, "--lege-bron-toestaan", dest="lege_bron_toestaan", action="store_true")
    p.set_defaults(func=run)


def config_uit_args(args):
    losse = [args.source, args.store, args.master]
    if args.config is not None:
        if any(x is not None for x in losse):
            raise InputError("--config cannot be combined with --source/--store/--master",
                             "Gebruik óf --config, óf --source, --store en --master samen.")
        return laad_config(args.config)
    if not all(x is not None for x in losse):
        raise InputError("need --config or all of --source, --store, --master",
                         "Geef --config FILE, of voor een map: --source MAP --store BESTAND|URL --master BESTAND.")
    if args.master.suffix.lower() != ".xlsx":
        raise InputError("--master must end in .xlsx", "--master moet eindigen op .xlsx.")
    return config_voor_map(args.source, args.store, args.master)


def druk_resultaat(r) -> None:
    t = r.tellingen
    print(f"Synchronisatie klaar (run {r.run_id}): {t.gezien} fiches in de bron, {t.gelezen} gelezen, "
          f"{t.geaccepteerd} geaccepteerd, {t.geweigerd} afgekeurd, {t.ongewijzigd} ongewijzigd, "
          f"{t.verwijderd} verwijderd.")
    for f in r.fouten:
        print(f"  Niet opgehaald: {f['item']}: {f['melding']}")
    if r.overzicht is not None:
        print(f"Overzicht per {r.overzicht.peildatum:%d-%m-%Y}: {len(r.overzicht.projecten)} projecten, "
              f"{len(r.overzicht.datakwaliteit)} meldingen datakwaliteit.")
    if r.master is not None:
        print(f"Masterwerkboek: {r.master}")
    if r.melding:
        print(f"Let op: {r.melding}")


def run(args) -> int:
    from sync.synchronisatie import sync_eenmalig
    config = config_uit_args(args)
    r = sync_eenmalig(config, voortgang=False if args.geen_voortgang else None,
                      lege_bron_toestaan=args.lege_bron_toestaan)
    druk_resultaat(r)
    return 0
