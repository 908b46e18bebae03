"""`pmiek validate`: check fiche files and report per file in Dutch (or as JSON), optionally
writing a coloured copy of each fiche.

Exit codes: 0 no file has errors (warnings allowed), 1 some file has errors, 2 a file could not be
read, a coloured copy could not be written, or the command line is wrong.

The coloured copy is the user's own file with only fills added: every part of the xlsx is copied
byte for byte except the style sheet and the sheets that get a coloured cell, which are edited
as XML (lxml keeps every namespace prefix Excel relies on). openpyxl never re-saves the input, so
shapes, images, add-in parts and VBA survive. The input itself is never written.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from fiche.datums import DatumFout, parse_datum
from fiche.errors import FileRefused, InputError, oorzaak_nl
from fiche.model import Beoordeling, FicheData
from fiche.rapport_tekst import tekst_rapport, tekst_samenvatting, tekst_weigering
from fiche.reader import lees_fiche, splits_verwijzing
from fiche.stoplicht import Stoplicht
from fiche.validatie import valideer
from pmiek.commands import oude_spelling

log = logging.getLogger("pmiek.commands.validate")

EXIT_OK, EXIT_FOUTEN, EXIT_ONLEESBAAR = 0, 1, 2

#: Fills of the coloured copy for cells with findings (Excel's own "bad" and "neutral" tints,
#: kept apart from the stoplicht colours).
KLEUR_FOUT = "FFC7CE"
KLEUR_WAARSCHUWING = "FFEB9C"


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
        raise InputError(f"bad --as-of {tekst!r}", f"--as-of: {exc}") from None
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
    for f, doel in doelen.items():
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


# --- the coloured copy ------------------------------------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CEL = re.compile(r"^([A-Z]{1,3})(\d+)$")


def kleurdoelen(data: FicheData, b: Beoordeling) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> RGB fill: stoplicht cells in their light, cells with findings marked."""
    doelen: dict[tuple[str, str], str] = {}
    for x in sorted(b.bevindingen, key=lambda x: 0 if x.ernst == "warning" else 1):  # errors win
        plek = splits_verwijzing(x.cel) if x.cel else None
        if plek:
            doelen[plek] = KLEUR_FOUT if x.ernst == "error" else KLEUR_WAARSCHUWING
    lichten = [(data.stoplicht_cel, b.stoplicht)] + [(m.cel, m.stoplicht) for m in b.mijlpalen]
    for cel, licht in lichten:
        plek = splits_verwijzing(cel) if cel else None
        if plek:
            doelen[plek] = licht.kleur
    return doelen


def _kolom_nummer(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _xml(data: bytes):
    from lxml import etree

    # The archive passed fiche.veilig (no DTD anywhere); still never resolve entities or fetch.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


def _tostring(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _sheet_delen(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its worksheet XML."""
    wb = _xml(zf.read("xl/workbook.xml"))
    rels = _xml(zf.read("xl/_rels/workbook.xml.rels"))
    doel = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{_REL_NS}}}Relationship")}
    uit = {}
    for s in wb.iter(f"{{{_NS}}}sheet"):
        target = doel.get(s.get(f"{{{_R_NS}}}id"))
        if not target:
            continue
        pad = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        # Normalise "xl/../x" forms.
        onderdelen: list[str] = []
        for deel in pad.split("/"):
            if deel == "..":
                if onderdelen:
                    onderdelen.pop()
            elif deel and deel != ".":
                onderdelen.append(deel)
        uit[s.get("name")] = "/".join(onderdelen)
    return uit


class _Stijlen:
    """Adds solid fills to xl/styles.xml: one new cell format per (original format, colour)."""

    def __init__(self, data: bytes) -> None:
        self.root = _xml(data)
        self.fills = self.root.find(f"{{{_NS}}}fills")
        self.xfs = self.root.find(f"{{{_NS}}}cellXfs")
        if self.fills is None or self.xfs is None:
            raise ValueError("styles.xml without fills or cellXfs")
        self._fill: dict[str, int] = {}
        self._xf: dict[tuple[int, str], int] = {}

    def fill(self, rgb: str) -> int:
        if rgb not in self._fill:
            from lxml import etree

            f = etree.SubElement(self.fills, f"{{{_NS}}}fill")
            pf = etree.SubElement(f, f"{{{_NS}}}patternFill", patternType="solid")
            etree.SubElement(pf, f"{{{_NS}}}fgColor", rgb="FF" + rgb)
            etree.SubElement(pf, f"{{{_NS}}}bgColor", indexed="64")
            self._fill[rgb] = len(self.fills) - 1
            self.fills.set("count", str(len(self.fills)))
        return self._fill[rgb]

    def xf(self, oorspronkelijk: int, rgb: str) -> int:
        sleutel = (oorspronkelijk, rgb)
        if sleutel not in self._xf:
            bestaand = list(self.xfs)
            basis = bestaand[oorspronkelijk] if oorspronkelijk < len(bestaand) else bestaand[0]
            nieuw = copy.deepcopy(basis)
            nieuw.set("fillId", str(self.fill(rgb)))
            nieuw.set("applyFill", "1")
            self.xfs.append(nieuw)
            self.xfs.set("count", str(len(self.xfs)))
            self._xf[sleutel] = len(self.xfs) - 1
        return self._xf[sleutel]


def _vul_verwijzingen_aan(sheet_data) -> None:
    """Rows and cells may leave out their `r` (they then follow the previous one); written out,
    so a coloured cell lands in the existing row instead of a second row with the same number."""
    from openpyxl.utils.cell import get_column_letter

    vorige_rij = 0
    for rij in sheet_data.findall(f"{{{_NS}}}row"):
        r = rij.get("r")
        nummer = int(r) if r and r.isdigit() else vorige_rij + 1
        rij.set("r", str(nummer))
        vorige_rij = nummer
        vorige_kolom = 0
        for c in rij.findall(f"{{{_NS}}}c"):
            cm = _CEL.match(c.get("r", ""))
            kolom = _kolom_nummer(cm[1]) if cm else vorige_kolom + 1
            if cm is None:
                c.set("r", f"{get_column_letter(kolom)}{nummer}")
            vorige_kolom = kolom


def _kleur_blad(data: bytes, cellen: dict[str, str], stijlen: _Stijlen) -> bytes:
    from lxml import etree

    root = _xml(data)
    sheet_data = root.find(f"{{{_NS}}}sheetData")
    if sheet_data is None:
        sheet_data = etree.SubElement(root, f"{{{_NS}}}sheetData")
    _vul_verwijzingen_aan(sheet_data)
    rijen = {int(r.get("r")): r for r in sheet_data.findall(f"{{{_NS}}}row")}
    for ref, rgb in cellen.items():
        m = _CEL.match(ref)
        if not m:
            continue
        kolom, rijnr = _kolom_nummer(m[1]), int(m[2])
        rij = rijen.get(rijnr)
        if rij is None:
            rij = etree.Element(f"{{{_NS}}}row", r=str(rijnr))
            volgende = next((r for n, r in sorted(rijen.items()) if n > rijnr), None)
            if volgende is not None:
                volgende.addprevious(rij)
            else:
                sheet_data.append(rij)
            rijen[rijnr] = rij
        cel = None
        na = None
        for c in rij.findall(f"{{{_NS}}}c"):
            cm = _CEL.match(c.get("r", ""))
            if cm is None:
                continue
            k = _kolom_nummer(cm[1])
            if k == kolom:
                cel = c
                break
            if k > kolom and na is None:
                na = c
        if cel is None:
            cel = etree.Element(f"{{{_NS}}}c", r=ref)
            if na is not None:
                na.addprevious(cel)
            else:
                rij.append(cel)
        cel.set("s", str(stijlen.xf(int(cel.get("s", "0")), rgb)))
    return _tostring(root)


def schrijf_gekleurde_kopie(invoer: Path, data: FicheData, b: Beoordeling, doel: Path) -> Path:
    """A new file `doel`: the input with stoplicht cells and cells with findings filled."""
    if doel.resolve() == invoer.resolve():
        raise InputError(f"refusing to overwrite input {invoer}", f"{doel}: de invoer wordt nooit overschreven.")
    per_blad: dict[str, dict[str, str]] = {}
    for (sheet, cel), rgb in kleurdoelen(data, b).items():
        per_blad.setdefault(sheet, {})[cel] = rgb
    doel.parent.mkdir(parents=True, exist_ok=True)
    import io

    from fiche.veilig import controleer_archief

    # Checked again: the copy is made from the bytes on disk now, not from what was validated.
    inhoud = controleer_archief(invoer.read_bytes(), str(invoer)).inhoud
    with zipfile.ZipFile(io.BytesIO(inhoud)) as zin:
        delen = _sheet_delen(zin)
        stijlen = _Stijlen(zin.read("xl/styles.xml"))
        nieuw: dict[str, bytes] = {}
        for sheet, cellen in per_blad.items():
            deel = delen.get(sheet)
            if deel is None:
                log.info("colour copy: sheet %r not found in %s", sheet, invoer)
                continue
            nieuw[deel] = _kleur_blad(zin.read(deel), cellen, stijlen)
        nieuw["xl/styles.xml"] = _tostring(stijlen.root)
        fd, tmp = tempfile.mkstemp(prefix=".pmiek-", suffix=".xlsx", dir=doel.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    if info.filename in nieuw:
                        zout.writestr(info, nieuw[info.filename], compress_type=zipfile.ZIP_DEFLATED)
                    else:
                        zout.writestr(info, zin.read(info), compress_type=info.compress_type)
            os.replace(tmp, doel)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    log.info("coloured copy written file=%r cells=%d", str(doel), sum(len(c) for c in per_blad.values()))
    return doel
