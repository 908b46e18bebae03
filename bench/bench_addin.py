"""Benchmark: the Python time of `addin.validate` on a fiche with 50 milestones, and its writes.

Builds one fiche with 50 milestones (a mix of every stoplicht, some with faults, plus a few
faulty fields), turns it into the payload the xlwings Office.js client sends, and in one run
times, side by side (median of --rounds runs each, taking turns within every round, fresh
`xw.Book(json=...)` every time):

- `addin.validate(book)` through the real xlwings remote engine (what xlwings Lite runs):
  read through `XlwingsBron`, validate, build Controle, colour;
- the core alone on the same book: `fiche.reader.extraheer` + `fiche.validatie.valideer`
  (the floor: what the add-in adds on top is the ratio);
- the file path for reference: `fiche.reader.lees_fiche` + `valideer` on the .xlsx.

Then it counts what the add-in sends to Excel: all actions, the colour writes per sheet and the
distinct colours per sheet (the rule: at most one colour write per colour per sheet), against
the writes a cell-by-cell implementation would make (one per coloured cell + one per Controle
cell).

    python bench/bench_addin.py [--rounds 30] [--mijlpalen 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # remote engine (PolyForm Noncommercial)

import xlwings as xw  # noqa: E402

import addin  # noqa: E402
from addin.payload import payload_uit_bestand  # noqa: E402
from addin.werkboek import XlwingsBron  # noqa: E402
from fiche.reader import extraheer, lees_fiche  # noqa: E402
from fiche.template import write_fiche  # noqa: E402
from fiche.validatie import valideer  # noqa: E402

VANDAAG = dt.date(2026, 11, 15)


def fiche_met_mijlpalen(pad: Path, n: int) -> Path:
    velden = {
        "projectnaam": "Benchmarkproject", "drager": "Elektriciteit", "gemeente": "Emmen",
        "omschrijving": "x", "locatie": "x", "type_infrastructuur": "x", "bevoegd_gezag": "x",
        "pmiek_2_0": "Nee, nieuw project", "uitvoerende_organisatie": "Enexis", "netbeheerder": "Enexis",
        "fase_netbeheerder": "Projectfase", "fase_overheid": "Hoofdfase",  # not a choice: a finding
        "ibn_ondergrens": dt.date(2031, 1, 1), "ibn_bovengrens": dt.date(2033, 12, 31),
        "ibn_prognose": dt.date(2032, 6, 30), "escalatie": "Geen", "toelichting": "Benchmark.",
        "peildatum": dt.date(2026, 11, 1),
    }
    rijen = []
    for i in range(n):
        gepland = dt.date(2027, 1, 1) + dt.timedelta(days=30 * i)
        soort = i % 5
        rij = {"mijlpaal": f"Mijlpaal {i + 1}", "fase": "Projectfase", "actiehouder": "Netbeheerder",
               "gepland": gepland}
        if soort == 0:
            rij["prognose"] = gepland  # op planning
        elif soort == 1:
            rij["prognose"] = gepland + dt.timedelta(days=400)  # risico
        elif soort == 2:
            rij["prognose"] = gepland + dt.timedelta(days=1500)  # vertraagd
        elif soort == 3:
            rij["prognose"] = "later"  # not a date: a finding, Onbekend
        else:
            rij["gereed"] = dt.date(2026, 1, 1)
        rijen.append(rij)
    tabellen = {
        "mijlpalen": rijen,
        "projectteam": [{"naam": "A. Voorbeeld", "organisatie": "Enexis", "rol": "Voorzitter",
                         "email": "a.voorbeeld@example.nl"}],
        "knelpunten": [{"knelpunt": "Vergunning", "oplossing": "Overleg", "status": "Open"}],
    }
    # More body rows than milestones, as a user's table grows.
    return write_fiche(pad, "concreet", velden, tabellen)


def medianen(functies: dict, rondes: int) -> dict[str, float]:
    """Median time per function; the functions take turns within every round, so load from
    other processes on the machine hits all of them alike."""
    tijden: dict[str, list[float]] = {naam: [] for naam in functies}
    for ronde in range(rondes):
        namen = list(functies)
        namen = namen[ronde % len(namen):] + namen[:ronde % len(namen)]
        for naam in namen:
            t = time.perf_counter()
            functies[naam]()
            tijden[naam].append(time.perf_counter() - t)
    return {naam: statistics.median(ts) for naam, ts in tijden.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--mijlpalen", type=int, default=50)
    args = parser.parse_args(argv)
    assert args.mijlpalen <= 200
    with tempfile.TemporaryDirectory() as tmp:
        pad = fiche_met_mijlpalen(Path(tmp) / "bench.xlsx", args.mijlpalen)
        payload = json.dumps(payload_uit_bestand(pad))

        def addin_run():
            book = xw.Book(json=json.loads(payload))
            return book, addin.validate(book, vandaag=VANDAAG)

        def core_run():
            book = xw.Book(json=json.loads(payload))
            return valideer(extraheer(XlwingsBron(book), book.name), VANDAAG)

        def payload_only():
            return xw.Book(json=json.loads(payload))

        addin_run(), core_run()  # warm-up (imports, caches)
        t = medianen({"addin": addin_run, "core": core_run, "book": payload_only,
                      "file": lambda: valideer(lees_fiche(pad), VANDAAG)}, args.rounds)
        t_addin, t_core, t_book, t_file = t["addin"], t["core"], t["book"], t["file"]

        book, resultaat = addin_run()
        acties = book.json()["actions"]
    b = resultaat.beoordeling
    assert len(b.mijlpalen) == args.mijlpalen

    kleur_acties = [a for a in acties if a["func"] in ("setRangeColors", "setRangeColor")]
    per_sheet = Counter(a["sheet_position"] for a in kleur_acties)
    kleuren_per_sheet = {}
    gekleurde_cellen = 0
    for a in kleur_acties:
        cellen = [c for rij in a["args"][0] for c in rij if c != "keep"] if a["func"] == "setRangeColors" else [a["args"][0]]
        gekleurde_cellen += len(cellen)
        kleuren_per_sheet.setdefault(a["sheet_position"], set()).update(cellen)
    controle = [a for a in acties if a["func"] == "setValues"]
    controle_cellen = sum(len(r) for a in controle for r in a["values"])
    naief = gekleurde_cellen + controle_cellen

    print(f"fiche: {args.mijlpalen} mijlpalen, {len(b.bevindingen)} bevindingen, stoplicht {b.stoplicht.value}; "
          f"median of {args.rounds} rounds, Python {sys.version.split()[0]}, xlwings {xw.__version__}")
    print(f"  addin.validate (remote engine)     {t_addin * 1000:7.1f} ms   "
          f"(reads: {resultaat.leesacties}, writes: {resultaat.schrijfacties})")
    print(f"  core only (extraheer + valideer)   {t_core * 1000:7.1f} ms   add-in / core = {t_addin / t_core:4.2f}")
    print(f"  xw.Book(json=...) alone            {t_book * 1000:7.1f} ms")
    print(f"  file path (lees_fiche + valideer)  {t_file * 1000:7.1f} ms   add-in / file = {t_addin / t_file:4.2f}")
    print(f"  actions returned: {len(acties)} ({dict(Counter(a['func'] for a in acties))})")
    for sheet, n in sorted(per_sheet.items()):
        print(f"    sheet {sheet}: {n} colour write(s) for {len(kleuren_per_sheet[sheet])} colour(s)")
    print(f"  a cell-by-cell implementation: {naief} writes ({gekleurde_cellen} coloured cells + "
          f"{controle_cellen} Controle cells) = {naief / len(acties):.0f}x as many")
    ok = t_addin < 0.1 and all(n <= len(kleuren_per_sheet[s]) for s, n in per_sheet.items())
    print("  aim (< 100 ms, <= one colour write per colour per sheet):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
