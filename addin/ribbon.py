"""Entry points of the desktop ribbon add-in `addin/pmiek.xlam` (tab "pMIEK").

Each button's VBA callback runs `RunPython "import addin.ribbon; addin.ribbon.<function>(...)"`
(see scripts/build_addin.py); the functions find their workbook through `Book.caller()`.
Desktop only (Windows/macOS Excel with Python): xlwings Lite and the remote engine cannot open
or create workbooks, so there "Nieuwe fiche" is not offered; partners without Python start from
the template file instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

log = logging.getLogger("pmiek.addin.ribbon")

HELP_TEKST = (
    "pMIEK-fiche\n\n"
    "Valideer fiche: controleert de open fiche. Het blad 'Controle' toont elke bevinding met het "
    "veld, de melding en een link naar de cel. Cellen met een fout worden rood gemarkeerd, "
    "waarschuwingen geel; de stoplichten van het project en van elke mijlpaal krijgen hun kleur.\n\n"
    "Nieuwe fiche (concreet / verkenning): opent een nieuwe, lege fiche. Sla die op in de "
    "projectmap op SharePoint of Teams.\n\n"
    "Vragen: het pMIEK-team van de provincie Drenthe."
)


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def valideer_fiche() -> None:
    """Ribbon "Valideer fiche": validate the workbook the button was clicked in."""
    import addin

    addin.validate(_caller())


def _map_voor_nieuwe_fiche() -> Path:
    documenten = Path.home() / "Documents"
    if documenten.is_dir():
        return documenten
    return Path(tempfile.gettempdir())


def maak_nieuwe_fiche(fiche_type: str, map_: Path) -> Path:
    """Write a new empty fiche of `fiche_type` into `map_` under a name that is still free.

    The same pipeline as the committed templates: generate, inject the xlwings Lite code,
    make deterministic.
    """
    from addin.lite import injecteer
    from fiche.template import maak_deterministisch, write_template

    stam = f"pMIEK-fiche {fiche_type} {dt.date.today():%Y-%m-%d}"
    doel = map_ / f"{stam}.xlsx"
    n = 2
    while doel.exists():
        doel = map_ / f"{stam} ({n}).xlsx"
        n += 1
    with tempfile.TemporaryDirectory() as tmp:
        pad = write_template(fiche_type, tmp)
        injecteer(pad)
        maak_deterministisch(pad)
        doel.write_bytes(pad.read_bytes())
    return doel


def nieuwe_fiche(fiche_type: str) -> None:
    """Ribbon "Nieuwe fiche (concreet|verkenning)": open a new empty fiche next to the caller."""
    from fiche.errors import oorzaak_nl

    caller = _caller()
    try:
        pad = maak_nieuwe_fiche(fiche_type, _map_voor_nieuwe_fiche())
    except OSError as exc:
        log.error("cannot write a new fiche: %s", exc)
        caller.app.alert(f"De nieuwe fiche kon niet worden aangemaakt ({oorzaak_nl(exc)}).",
                         title="pMIEK", mode="critical")
        return
    log.info("new %s fiche at %s", fiche_type, pad)
    caller.app.books.open(str(pad))


def help_pmiek() -> None:
    """Ribbon "Help": the text on the Controle sheet and in an alert."""
    import addin

    addin.toon_help(_caller(), HELP_TEKST, titel="pMIEK - help")
