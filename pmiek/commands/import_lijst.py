"""`pmiek import-lijst FILE --kind ip|ms-t|pmiek1 --source Enexis --edition IP2026 [--as-of DATE]`:
import one project list (IP, MS-T, pMIEK 1.0) into the store. The Dutch spellings of the flags
(--soort, --bron, --editie, --peildatum) are accepted too.

With `--config FILE` the store and the column mappings come from the config; with `--store FILE`
no config is needed (the default column recognition applies). The next `pmiek sync` puts the
imported projects in the master. Exit 0: imported (or already imported, unchanged) without
remarks (an unchanged re-import is 0 too, its remarks repeated); 1: imported, but some rows
were skipped or kept without a date (each named by row number); 2: nothing imported (unreadable
file, unknown layout, wrong arguments).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fiche.datums import DatumFout, datum_dmj, parse_datum
from fiche.errors import FileRefused, InputError
from pmiek.commands import oude_spelling

#: Row remarks printed before "en nog N".
MAX_GETOOND = 25
SOORTEN = ("ip", "ms-t", "pmiek1")


def register(sub) -> None:
    p = sub.add_parser("import-lijst", help="lees een projectlijst in (IP, MS-T of pMIEK 1.0; .xlsx of .csv)")
    p.add_argument("bestand", type=Path, metavar="BESTAND", help="de lijst (.xlsx, of .csv gescheiden door ; of ,)")
    # English flags (docs/ontwikkelaars.md); the Dutch spellings are accepted too.
    p.add_argument("--kind", dest="soort", choices=SOORTEN, help="soort lijst: ip, ms-t of pmiek1")
    oude_spelling(p, "--soort", dest="soort", choices=SOORTEN)
    p.add_argument("--source", dest="bron", help="netbeheerder of gemeente die de lijst levert, bijv. Enexis")
    oude_spelling(p, "--bron", dest="bron")
    p.add_argument("--edition", dest="editie", help="editie of update, bijv. IP2026")
    oude_spelling(p, "--editie", dest="editie")
    p.add_argument("--as-of", dest="peildatum", metavar="DATUM",
                   help="de datum die de lijst beschrijft (standaard: vandaag)")
    oude_spelling(p, "--peildatum", dest="peildatum")
    p.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    p.add_argument("--store", type=Path, help="databasebestand (SQLite), zonder configuratiebestand")
    p.set_defaults(func=run)


def _peildatum(tekst: str | None, tz) -> dt.date:
    if not tekst:
        return dt.datetime.now(tz).date()
    try:
        datum = parse_datum(tekst, "eind")
    except DatumFout as exc:
        raise InputError(f"--as-of {tekst!r}: {exc}", f"--as-of: {exc.melding}") from None
    if datum is None:
        raise InputError("--as-of empty", "--as-of is leeg; geef een datum, bijv. 30-6-2026.")
    return datum


def run(args) -> int:
    from zoneinfo import ZoneInfo

    from sync.config import STANDAARD_TIJDZONE, laad_config, sqlite_url
    from sync.lijsten.instellingen import LijstenConfig
    from sync.lijsten.opslag import SOORTEN as SOORT_LABELS, importeer
    from sync.store import open_store

    for vlag, waarde in (("--kind", args.soort), ("--source", args.bron), ("--edition", args.editie)):
        if not waarde:
            raise InputError(f"{vlag} is required", f"{vlag} ontbreekt; bijv. pmiek import-lijst lijst.xlsx "
                                                   "--kind ip --source Enexis --edition IP2026 --store pmiek.sqlite")
    if (args.config is None) == (args.store is None):
        raise InputError("need exactly one of --config and --store",
                         "Geef --config BESTAND of --store BESTAND (één van beide).")
    if args.config is not None:
        config = laad_config(args.config)
        url, lijsten, tz = config.store_url, config.lijsten, config.sync.tz
    else:
        url, lijsten, tz = sqlite_url(args.store), LijstenConfig(), ZoneInfo(STANDAARD_TIJDZONE)
    peildatum = _peildatum(args.peildatum, tz)
    try:
        data = args.bestand.read_bytes()
    except OSError as exc:
        raise FileRefused("niet_gevonden", f"{args.bestand}: {exc}",
                          f"De lijst '{args.bestand}' kan niet worden geopend: {exc.strerror}.") from None
    store = open_store(url)
    try:
        r = importeer(store, data, args.bestand.name, args.soort, args.bron, args.editie, peildatum,
                      lijsten.mapping(args.bron))
    finally:
        store.close()
    if r.status == "ongewijzigd":
        print(f"Lijst '{r.naam}' was al ingelezen met dezelfde inhoud ({args.bron} {args.editie}); niets gewijzigd.")
    else:
        print(f"Lijst '{r.naam}' ingelezen: {SOORT_LABELS[args.soort]}-lijst van {args.bron}, editie {args.editie}, "
              f"peildatum {datum_dmj(peildatum)}: {r.rijen} projecten.")
    if r.fouten:
        print(f"{len(r.fouten)} rij(en) met een opmerking:")
        for f in r.fouten[:MAX_GETOOND]:
            print(f"  {f.melding}")
        if len(r.fouten) > MAX_GETOOND:
            print(f"  ... en nog {len(r.fouten) - MAX_GETOOND}.")
    if r.status != "ongewijzigd":
        print("De volgende synchronisatie (pmiek sync) zet de projecten in het masterwerkboek.")
    return 1 if r.fouten and r.status != "ongewijzigd" else 0
