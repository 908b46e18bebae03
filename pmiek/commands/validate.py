"""`pmiek validate`: check fiche files and report per file in Dutch (or as JSON), optionally
writing a coloured copy of each fiche.

Exit codes: 0 no file has errors (warnings allowed), 1 some file has errors, 2 a file could not be
read, a coloured copy could not be written, or the command line is wrong.

The coloured copy is made by `fiche.gekleurde_kopie` (the fills the add-in would show, written
into a new file); the input itself is never written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import zipfile
from pathlib import Path

from fiche.datums import DatumFout, parse_datum
from fiche.errors import FileRefused, InputError, oorzaak_nl
from fiche.rapport_tekst import tekst_rapport, tekst_samenvatting, tekst_weigering
from fiche.reader import lees_fiche
from fiche.stoplicht import Stoplicht
from fiche.validatie import valideer
from pmiek.commands import oude_spelling

log = logging.getLogger("pmiek.commands.validate")

EXIT_OK, EXIT_FOUTEN, EXIT_ONLEESBAAR = 0, 1, 2

def register(sub) -> None:
    p = sub.add_parser(
        "validate", help="controleer fiches en toon de bevindingen",
        description="Controleer een of meer fiches. Exitcode 0: geen fouten; 1: fouten gevonden; "
                    "2: een bestand is niet te lezen of de opdracht is onjuist.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="fiche-werkboek(en) (.xlsx)")
    p.add_argument("--json", action="store_true", help="uitvoer als JSON")
    p.add_argument("--colour", "--color", dest="colour", metavar="OUT",
                   help="schrijf een gekleurde kopie: een bestand bij één fiche, een map bij meerdere")
    p.add_argument("--as-of", dest="peildatum", metavar="DATUM",
                   help="peildatum: beoordeel alsof het vandaag DATUM is (bijv. 1-10-2026); standaard vandaag")
    oude_spelling(p, "--peildatum", dest="peildatum")
    p.set_defaults(func=run)


def _vandaag(tekst: str | None) -> dt.date:
    if tekst is None:
        return dt.date.today()
    try:
        d = parse_datum(tekst)
    except DatumFout as exc:
        raise InputError(f"bad --as-of {tekst!r}: {exc}", f"--as-of: {exc.melding}") from None
    if d is None:
        raise InputError("empty --as-of", "--as-of is leeg; geef een datum, bijv. 1-10-2026.")
    return d


def _doelen(files: list[str], out: str) -> dict[str, Path]:
    """Where each input's coloured copy goes; refuses any target that is an input."""
    uit = Path(out)
    # "--colour uit/" names a folder, also when it does not exist yet.
    als_map = out.endswith(("/", os.sep)) or uit.is_dir()
    if len(files) == 1 and not als_map:
        doelen = {files[0]: uit}
    else:
        if uit.exists() and not uit.is_dir():
            raise InputError(f"--colour {out!r} is a file but several inputs were given",
                             f"--colour {out}: bij meerdere fiches moet dit een map zijn.")
        doelen = {}
        for f in files:
            p = Path(f)
            doelen[f] = uit / f"{p.stem}-gekleurd{p.suffix or '.xlsx'}"
    invoer = {Path(f).resolve() for f in files}
    for doel in doelen.values():
        if doel.resolve() in invoer:
            raise InputError(f"--colour target {doel} is an input file",
                             f"--colour {doel}: dit is een invoerbestand; de invoer wordt nooit overschreven. "
                             "Kies een ander bestand of een andere map.")
    if len(set(d.resolve() for d in doelen.values())) < len(doelen):
        raise InputError("--colour targets collide", "--colour: twee fiches met dezelfde naam zouden hetzelfde "
                         "gekleurde bestand krijgen; geef ze verschillende namen.")
    return doelen


def run(args) -> int:
    vandaag = _vandaag(args.peildatum)
    doelen = _doelen(args.files, args.colour) if args.colour else {}
    resultaten = []
    in_orde = met_fouten = onleesbaar = 0
    niet_geschreven = 0
    for pad in args.files:
        try:
            data = lees_fiche(pad)
        except FileRefused as exc:
            onleesbaar += 1
            resultaten.append({
                "path": pad, "fiche_type": None, "project": None, "status": Stoplicht.ONBEKEND.label,
                "findings": [{"severity": "error", "code": exc.reason, "field": None, "cell": None,
                              "message": exc.melding}],
            })
            if not args.json:
                print(tekst_weigering(pad, exc))
                print()
            continue
        b = valideer(data, vandaag=vandaag)
        if b.geldig:
            in_orde += 1
        else:
            met_fouten += 1
        log.info("validated file=%r type=%s status=%s errors=%d warnings=%d", pad, b.fiche_type,
                 b.stoplicht.name, len(b.fouten), len(b.waarschuwingen))
        resultaten.append({
            "path": pad, "fiche_type": b.fiche_type, "project": b.project, "status": b.stoplicht.label,
            "findings": [x.as_json() for x in b.bevindingen],
        })
        if not args.json:
            print(tekst_rapport(pad, b))
        if pad in doelen:
            from fiche.gekleurde_kopie import schrijf_gekleurde_kopie  # lxml: only when a copy is asked for

            try:
                schrijf_gekleurde_kopie(Path(pad), data, b, doelen[pad])
            except OSError as exc:
                niet_geschreven += 1
                log.error("colour copy not written file=%r target=%r: %s", pad, str(doelen[pad]), exc)
                print(f"Fout: de gekleurde kopie {doelen[pad]} kan niet worden geschreven "
                      f"({oorzaak_nl(exc)}).", file=sys.stderr)
            except (ValueError, KeyError, zipfile.BadZipFile) as exc:
                # A workbook whose styles or sheets we cannot extend (styles.xml without fills,
                # or none at all): the verdict above stands, only the copy is not made.
                niet_geschreven += 1
                log.error("colour copy not made file=%r: %s: %s", pad, type(exc).__name__, exc)
                print(f"Fout: van {pad} kan geen gekleurde kopie worden gemaakt; de opmaak van het werkboek "
                      "wijkt af van het fiche-sjabloon. De controle hierboven blijft geldig.", file=sys.stderr)
            else:
                if not args.json:
                    print(f"  Gekleurde kopie: {doelen[pad]}")
        if not args.json:
            print()
    if args.json:
        print(json.dumps({"files": resultaten}, ensure_ascii=False, indent=2))
    elif len(args.files) > 1:
        print(tekst_samenvatting(in_orde, met_fouten, onleesbaar))
    if onleesbaar or niet_geschreven:
        return EXIT_ONLEESBAAR
    return EXIT_FOUTEN if met_fouten else EXIT_OK
