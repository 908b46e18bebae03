"""`pmiek demo`: the example fiches in a fresh folder source, one sync, the master workbook."""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import sys
from pathlib import Path

from fiche.errors import InputError

VOORBEELDEN = Path(__file__).resolve().parents[2] / "workbook_templates" / "examples"


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
    for pad in voorbeelden:
        shutil.copyfile(pad, fiches / pad.name)
    config_pad = map_ / "pmiek.toml"
    config_pad.write_text(VOORBEELD_CONFIG.format(source="fiches", store="pmiek.sqlite",
                                                  master="master/pMIEK-monitoring.xlsx"), encoding="utf-8")
    config = laad_config(config_pad)
    r = sync_eenmalig(config, aanleiding="demo")
    druk_resultaat(r)
    print()
    print(f"Demo klaar in {map_}:")
    print(f"  fiches (bron):       {fiches}  ({len(voorbeelden)} voorbeeldfiches)")
    print(f"  database:            {config.store_path}")
    print(f"  masterwerkboek:      {r.master or 'niet gemaakt'}")
    print(f"  configuratie:        {config_pad}")
    from sync.kwartaal.rapportage import demo_rapport  # issue 5: the quarterly e-mail, into the outbox
    print(f"  kwartaaloverzicht:   {demo_rapport(config)['html']}  (e-mail als .eml ernaast)")
    pmiek = pmiek_opdracht()
    config_arg = shlex.quote(str(config_pad))
    print("Probeer daarna:")
    print(f"  {pmiek} status --config {config_arg}")
    print(f"  {pmiek} sync --config {config_arg}   (na het wijzigen van een fiche)")
    return 0


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
