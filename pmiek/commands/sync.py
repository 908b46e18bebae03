"""`pmiek sync`: one sync run, from a config file or (folder case) from three paths."""

from __future__ import annotations

import sys
from pathlib import Path

from fiche.errors import InputError
from pmiek.commands import oude_spelling
from pmiek.stoppen import exitcode, signaal_nl, sigterm_als_onderbreking
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
    nieuwe_store_optie(p)
    p.set_defaults(func=run)


def nieuwe_store_optie(p) -> None:
    """`--new-store` (issue 15): the only way to start a new, empty store where one was before."""
    p.add_argument("--new-store", dest="nieuwe_store", action="store_true",
                   help="maak bewust een nieuwe, lege database, ook waar eerder een database was (die ontbreekt "
                        "nu of is leeg); alle historie begint dan opnieuw")
    oude_spelling(p, "--nieuwe-store", dest="nieuwe_store", action="store_true")


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
    from sync.synchronisatie import MASTER_ONGEWIJZIGD
    melding = r.melding
    if r.master is not None:
        if r.master_herschreven:
            print(f"Masterwerkboek: {r.master}")
        else:
            print(f"Masterwerkboek: {r.master} (ongewijzigd: niets veranderd sinds de vorige run)")
            melding = (melding or "").removeprefix(MASTER_ONGEWIJZIGD).strip()
    if melding:
        print(f"Let op: {melding}")


def run(args) -> int:
    from sync.synchronisatie import sync_eenmalig
    config = config_uit_args(args)
    try:
        with sigterm_als_onderbreking():
            r = sync_eenmalig(config, voortgang=False if args.geen_voortgang else None,
                              lege_bron_toestaan=args.lege_bron_toestaan, nieuwe_store=args.nieuwe_store)
    except KeyboardInterrupt as exc:
        # Ctrl+C or SIGTERM: the run is recorded as broken off (sync.synchronisatie.voer_sync_uit).
        run_id = getattr(exc, "run_id", None)
        print(f"Synchronisatie afgebroken ({signaal_nl(exc)})" + (f", run {run_id}" if run_id else "")
              + ": wat al gelezen was is bewaard; de volgende synchronisatie maakt het af. Het masterwerkboek "
              "is niet bijgewerkt.", file=sys.stderr, flush=True)
        return exitcode(exc)
    druk_resultaat(r)
    return 0
