"""`pmiek template --out DIR`: write the empty fiche templates (concreet and verkenning).

`build_templates` is the one pipeline behind both this command and `scripts/build_templates.py`
(which regenerates the committed files under `workbook_templates/`): write each template, run
the optional post-processing step on the saved file, then make the file deterministic, so that
regenerating gives identical bytes and CI can check the committed templates are current.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fiche.errors import InputError, oorzaak_nl
from fiche.schema import FICHE_TYPES, TEMPLATE_VERSION
from fiche.template import maak_deterministisch, write_template

log = logging.getLogger("pmiek.commands.template")


def postprocess(path: Path) -> None:
    """Optional post-processing of one saved template, before it is made deterministic.

    The place for steps that change the saved package rather than the workbook model (for
    example injecting the xlwings Lite part, which openpyxl cannot write). Add calls here, so the
    committed templates and `pmiek template` stay the same file.
    """
    from addin.lite import injecteer  # the xlwings Lite code (main.py, requirements.txt)

    injecteer(path)


def build_templates(out_dir: str | Path) -> list[Path]:
    """Write both templates into `out_dir`; returns their paths."""
    out_dir = Path(out_dir)
    paths = []
    for fiche_type in FICHE_TYPES:
        path = write_template(fiche_type, out_dir)
        postprocess(path)
        maak_deterministisch(path)
        log.info("template written: %s", path)
        paths.append(path)
    return paths


def register(sub) -> None:
    p = sub.add_parser("template", help="schrijf de lege fiche-templates (concreet en verkenning)")
    p.add_argument("--out", required=True, metavar="MAP", help="map waarin de templates komen")
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is not a directory", f"'{out}' is geen map.")
    try:
        paths = build_templates(out)
    except OSError as exc:
        raise InputError(f"cannot write templates to {out}: {exc}",
                         f"De templates kunnen niet in '{out}' worden geschreven ({oorzaak_nl(exc)}).") from None
    print(f"Fiche-templates (templateversie {TEMPLATE_VERSION}) geschreven:")
    for path in paths:
        print(f"  {path}")
    return 0
