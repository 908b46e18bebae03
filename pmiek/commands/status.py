"""`pmiek status`: the last sync runs with their counts and failures, and the fiche versions that
took the reader down (refused, not read again)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from fiche.errors import InputError
from pmiek.commands import oude_spelling
from sync.config import STANDAARD_TIJDZONE, laad_config, store_uit_argument

STATUS_NL = {"ok": "geslaagd", "fout": "mislukt", "bezig": "bezig", "afgebroken": "afgebroken"}


def register(sub) -> None:
    p = sub.add_parser("status", help="toon de laatste synchronisaties, aantallen en fouten")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    g.add_argument("--store", metavar="BESTAND|URL",
                   help="databasebestand (SQLite) of database-URL (postgresql+psycopg://gebruiker@server/db)")
    p.add_argument("--count", dest="aantal", type=int, default=10, metavar="N", help="hoeveel runs (standaard 10)")
    oude_spelling(p, "--aantal", dest="aantal", type=int, default=10)
    p.set_defaults(func=run)


def _tijd(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%d-%m-%Y %H:%M:%S") if moment else "-"


def run(args) -> int:
    from sync.store import open_store
    # Times in the configured zone; with only --store there is no config, so its default.
    tz = ZoneInfo(STANDAARD_TIJDZONE)
    if args.config is not None:
        config = laad_config(args.config)
        tz = config.sync.tz
        url = config.store_url
        if config.store_path is not None and not config.store_path.exists():
            from sync.storespoor import controleer_aanwezig
            controleer_aanwezig(config)  # gone after it was there: that is no fresh setup (exit 3)
            print(f"Nog geen synchronisaties uitgevoerd (de database {config.store_path} bestaat nog niet).")
            return 0
    else:
        url, pad = store_uit_argument(args.store)
        if pad is not None and not pad.is_file():
            raise InputError(f"store {args.store} does not exist", f"De database {args.store} bestaat niet.")
    store = open_store(url, alleen_lezen=True)  # looking never changes the store
    from sync.storebewaking import controleer_gezond, fouten_vertaald
    try:
        with fouten_vertaald(url, args.config):  # a damaged store: its Dutch message and the backup
            controleer_gezond(store.engine, args.config)
            return _toon(args, store, url, tz)
    finally:
        store.close()


def _toon(args, store, url: str, tz) -> int:
    from sync.store import loads
    runs = store.runs(args.aantal)
    rapport = _kwartaalrapporten(store, url)
    rapport = _uitvraag(store, tz) or rapport
    if not runs:
        print("Nog geen synchronisaties uitgevoerd.")
        return 1 if rapport else 0
    print("Laatste synchronisatie:" if len(runs) == 1 else f"Laatste {len(runs)} synchronisaties (nieuwste eerst):")
    for r in runs:
        print(f"- run {r.id}: {STATUS_NL.get(r.status, r.status)}, {r.aanleiding}, gestart {_tijd(r.start, tz)}, "
              f"klaar {_tijd(r.einde, tz)}")
        print(f"    {r.gezien} in bron, {r.gedownload} opgehaald, {r.gelezen} gelezen, {r.geaccepteerd} "
              f"geaccepteerd, {r.geweigerd} afgekeurd, {r.ongewijzigd} ongewijzigd, {r.verwijderd} verwijderd")
        for f in loads(r.fouten) or []:
            print(f"    fout: {(f.get('item') + ': ') if f.get('item') else ''}{f.get('melding')}")
        if r.melding:
            print(f"    {r.melding}")
        if r.master:
            print(f"    masterwerkboek: {r.master}")
    _vastgelopen(store, tz)
    return 1 if runs[0].status == "fout" or rapport else 0


def _vastgelopen(store, tz) -> None:
    """Name the versions that took the reader down: the runs go on without them (see
    `sync.intake`), so this and Datakwaliteit are where someone learns about them."""
    lezingen = store.vastgelopen_lezingen()
    if not lezingen:
        return
    print("Fiches die de lezer ten val brachten (deze versies worden niet opnieuw gelezen):")
    for lezing in lezingen:
        run = f"run {lezing.run_id}" if lezing.run_id is not None else "een run"
        print(f"- {lezing.naam}: versie van {_tijd(lezing.gewijzigd, tz)}; het lezen brak af in {run} "
              f"({_tijd(lezing.begonnen, tz)})")
    print("    Sla zo'n fiche opnieuw op als Excel-werkmap (.xlsx); een nieuwe versie wordt gewoon gelezen.")


def _kwartaalrapporten(store, url: str) -> bool:
    """Print the quarterly report's send records (issue 5); True when one needs attention."""
    from sync.kwartaal.rapportage import CONTROLEREN, MISLUKT, Kwartaalrapport
    rapport = Kwartaalrapport(store.engine, store, Path("unused.lock"))
    regels = rapport.status_regels()
    if regels:
        print("Kwartaaloverzichten (nieuwste eerst):")
        print("\n".join(regels))
        print()
    laatste = {r["kwartaal"]: r["status"] for r in rapport.verzendingen()}
    return any(s in (MISLUKT, CONTROLEREN) for s in laatste.values())


def _uitvraag(store, tz) -> bool:
    """Print the latest uitvraag round per project (issue 12); True when a message needs attention."""
    from sync.overzicht_bouw import OverzichtBouwer
    from sync.uitvraag.stand import status_regels
    from sync.uitvraag.verzending import nu
    regels, aandacht = status_regels(OverzichtBouwer(store, str(tz)), nu())
    if regels:
        print("\n".join(regels))
        print()
    return aandacht
