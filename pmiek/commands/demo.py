"""`pmiek demo`: the example fiches in a fresh folder source, four quarters of syncs, the master
workbook, the quarterly e-mail and the uitvraag round's messages; with the example project lists
(IP, MS-T, pMIEK 1.0, two editions, scripts/build_lijsten.py) in the watched lists folder, so the
master shows the whole portfolio.

The demo shows what the product is for: the quarter-on-quarter story. It first syncs the earlier
versions of the example fiches (the `[[historie]]` of workbook_templates/examples/projecten.toml,
written into the folder with the file dated on their quarter's peildatum), then the current
examples. Every run is judged on the examples' own peildatum, not on the machine's clock, so the
demo gives the same result whatever today's date is.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shlex
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

from fiche.datums import dag_einde, datum_nl
from fiche.errors import InputError

VOORBEELDEN = Path(__file__).resolve().parents[2] / "workbook_templates" / "examples"
#: The example project lists (IP, MS-T, pMIEK 1.0) of scripts/build_lijsten.py.
VOORBEELDLIJSTEN = VOORBEELDEN / "lijsten"
#: The demo's config: the example config plus the watched lists folder.
LIJSTEN_CONFIG = """
[lijsten]
map = "lijsten"
tolerantie_maanden = 12
"""
DATA = VOORBEELDEN / "projecten.toml"
#: Date fields and columns that say something happened: not yet on an earlier peildatum.
_GEBEURD = ("gereed", "ibn_gerealiseerd", "oplevering_gerealiseerd")


def laad_data(data: Path = DATA) -> dict[str, Any]:
    with data.open("rb") as fh:
        return tomllib.load(fh)


def demo_peildatum(doc: dict[str, Any]) -> dt.date:
    """The examples' own "today" (`[voorbeeld] peildatum`): what the demo is judged on."""
    return doc["voorbeeld"]["peildatum"]


def _zoals_op(entry: dict[str, Any], peildatum: dt.date, velden: dict[str, Any]) -> dict[str, Any]:
    """A fiche entry as it stood on an earlier `peildatum`: `velden` changed, and what happened
    only after that day not happened yet (its date becomes the prognose)."""
    versie = copy.deepcopy(entry)
    v = versie.setdefault("velden", {})
    v.update(velden)
    v["peildatum"] = peildatum
    for key in ("ibn_gerealiseerd", "oplevering_gerealiseerd"):
        if isinstance(v.get(key), dt.date) and v[key] > peildatum:
            del v[key]
    for rijen in versie.get("tabellen", {}).values():
        for rij in rijen:
            if isinstance(rij.get("gereed"), dt.date) and rij["gereed"] > peildatum:
                rij.setdefault("prognose", rij["gereed"])
                del rij["gereed"]
    return versie


def historie(doc: dict[str, Any]) -> list[tuple[dt.date, list[dict[str, Any]]]]:
    """The earlier quarters of the examples, oldest first: (peildatum, fiche entries then)."""
    uit = []
    for h in sorted(doc.get("historie", []), key=lambda h: h["peildatum"]):
        ontbreekt = set(h.get("ontbreekt", []))
        wijzigingen = h.get("velden", {})
        uit.append((h["peildatum"], [_zoals_op(e, h["peildatum"], wijzigingen.get(e["bestand"], {}))
                                     for e in doc["fiche"] if e["bestand"] not in ontbreekt]))
    return uit


def _dateer(pad: Path, dag: dt.date) -> None:
    """Date a file at noon of `dag` (local time): the store takes a version's moment from it."""
    moment = dt.datetime.combine(dag, dt.time(12, 0)).timestamp()
    os.utime(pad, (moment, moment))


def register(sub) -> None:
    p = sub.add_parser("demo", help="voorbeeld: fiches in een nieuwe map, synchroniseren, masterwerkboek maken")
    p.add_argument("--dir", type=Path, help="nieuwe (of lege) map voor de demo; standaard ./pmiek-demo-<tijd>")
    p.set_defaults(func=run)


def run(args) -> int:
    from pmiek.commands.sync import druk_resultaat
    from sync.config import VOORBEELD_CONFIG, laad_config
    from sync.synchronisatie import sync_eenmalig

    voorbeelden = sorted(VOORBEELDEN.glob("*.xlsx"))
    if not voorbeelden:
        raise InputError(f"no example fiches in {VOORBEELDEN}",
                         f"Er staan geen voorbeeldfiches in {VOORBEELDEN}; installeer pMIEK Monitor opnieuw.")
    map_ = args.dir or Path.cwd() / f"pmiek-demo-{dt.datetime.now():%Y%m%d-%H%M%S}"
    map_ = map_.resolve()
    if map_.exists() and any(map_.iterdir()):
        raise InputError(f"demo folder {map_} is not empty",
                         f"De map {map_} is niet leeg; kies een nieuwe map met --dir.")
    fiches = map_ / "fiches"
    fiches.mkdir(parents=True)
    config_pad = map_ / "pmiek.toml"
    config_pad.write_text(VOORBEELD_CONFIG.format(source="fiches", store="pmiek.sqlite",
                                                  master="master/pMIEK-monitoring.xlsx") + LIJSTEN_CONFIG,
                          encoding="utf-8")
    # The example lists go in first: every sync imports them once; each counts from its own peildatum.
    lijsten = map_ / "lijsten"
    lijsten.mkdir()
    for pad in sorted(VOORBEELDLIJSTEN.glob("*_voorbeeld.*")):
        shutil.copyfile(pad, lijsten / pad.name)
    config = laad_config(config_pad)
    doc = laad_data()
    peildatum = demo_peildatum(doc)
    _schrijf_historie(doc, fiches, config)
    for pad in voorbeelden:
        shutil.copyfile(pad, fiches / pad.name)
        _dateer(fiches / pad.name, peildatum)
    r = sync_eenmalig(config, aanleiding="demo", peildatum=peildatum)
    druk_resultaat(r)
    print()
    print(f"Demo klaar in {map_}:")
    print(f"  fiches (bron):       {fiches}  ({len(voorbeelden)} voorbeeldfiches)")
    print(f"  projectlijsten:      {lijsten}  ({len(list(lijsten.iterdir()))} voorbeeldlijsten: IP, MS-T, pMIEK 1.0)")
    print(f"  database:            {config.store_path}")
    print(f"  masterwerkboek:      {r.master or 'niet gemaakt'}")
    print(f"  configuratie:        {config_pad}")
    # The quarter of the examples' peildatum, as on that day (not the machine's clock).
    moment = dt.datetime.combine(peildatum, dt.time(12, 0), tzinfo=config.sync.tz)
    print(f"  kwartaaloverzicht:   {demo_rapport(config, moment)['html']}  (e-mail als .eml ernaast)")
    einde = dag_einde(peildatum, config.sync.tz)  # every version of that day counts
    print(f"  uitvraag:            {len(demo_uitvraag(config, einde))} berichten aan de voorzitters en de "
          f"projectleider in {config.report.outbox} (uitvraag-*.eml)")
    print(f"  peildatum:           {datum_nl(peildatum)} (de voorbeelden worden op die dag beoordeeld; de "
          f"database bevat ook {len(doc.get('historie', []))} eerdere kwartalen)")
    pmiek = pmiek_opdracht()
    config_arg = shlex.quote(str(config_pad))
    print("Probeer daarna:")
    print(f"  {pmiek} status --config {config_arg}")
    print(f"  {pmiek} sync --config {config_arg}   (na het wijzigen van een fiche)")
    return 0


def _schrijf_historie(doc: dict[str, Any], fiches: Path, config) -> None:
    """Sync the examples' earlier quarters, oldest first, each on its own peildatum."""
    from fiche.template import write_fiche
    from sync.synchronisatie import sync_eenmalig

    for peildatum, entries in historie(doc):
        for entry in entries:
            pad = write_fiche(fiches / f"{entry['bestand']}.xlsx", entry["fiche_type"], entry.get("velden", {}),
                              entry.get("tabellen", {}))
            _dateer(pad, peildatum)
        r = sync_eenmalig(config, aanleiding="demo", voortgang=False, peildatum=peildatum)
        print(f"Eerder kwartaal ingelezen: peildatum {datum_nl(peildatum)}, "
              f"{len(r.overzicht.projecten) if r.overzicht else 0} projecten.")


def demo_rapport(config, moment: dt.datetime) -> dict[str, Path]:
    """The e-mail of the quarter of `moment` written into the outbox as a preview (no send record
    and no frozen snapshot: the demo's fiches may still be edited and synced)."""
    from fiche.datums import kwartaal, lokale_datum
    from sync.kwartaal.rapportage import voor_config

    rapport, store = voor_config(config)
    try:
        return rapport.preview(kwartaal(lokale_datum(moment, config.sync.tz)), config.report.outbox, config.report,
                               moment)
    finally:
        store.close()


def demo_uitvraag(config, moment: dt.datetime) -> list[Path]:
    """The uitvraag round of the quarter of `moment` (requests, reminders, the deadline notice)
    written into the outbox as previews: no round is opened, so `pmiek uitvraag --send` still can."""
    from fiche.datums import kwartaal, lokale_datum
    from sync.uitvraag.verzending import voor_config

    uitvraag, store = voor_config(config)
    try:
        return uitvraag.preview(kwartaal(lokale_datum(moment, config.sync.tz)), config.report.outbox, moment)
    finally:
        store.close()


def pmiek_opdracht() -> str:
    """How the user can start `pmiek` from where they are: `scripts/demo.sh` does not activate the
    virtualenv, so a bare `pmiek` is usually not on PATH and the printed next steps must say
    `.venv/bin/pmiek` (relative when the virtualenv is below the current folder)."""
    script = Path(sys.executable).parent / "pmiek"
    if not script.is_file():
        return f"{shlex.quote(sys.executable)} -m pmiek.cli"
    op_path = shutil.which("pmiek")
    if op_path is not None and Path(op_path).resolve() == script.resolve():
        return "pmiek"
    try:
        return shlex.quote(str(script.absolute().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script.absolute()))
