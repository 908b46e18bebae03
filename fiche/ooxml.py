"""The OOXML package helper: everything pMIEK does to an .xlsx/.xlam at the level of its zip parts.

One place for what the reader, the coloured copy, the template build, the xlwings Lite injection
and the ribbon add-in build all need:
- finding parts: relationships of a part (`relaties`, `rels_pad`), relative targets resolved
  (`doelpad`), a relationship by its type (`relatie_van_type`), the worksheet part of each sheet
  (`blad_delen`), the Excel tables (`tabellen`) and the defined names (`defined_names`);
- reading a part's XML (`lees_xml`, the standard library's C parser: only for archives that passed
  `fiche.veilig.controleer_archief`, which refused every DTD, so no part can declare an entity);
- editing the package's own bookkeeping as bytes (`voeg_override_toe`, `voeg_relatie_toe`), so the
  parts keep every byte Excel wrote;
- rewriting a zip with parts replaced or added (`herschrijf`): deterministic with the one fixed
  timestamp `ZIP_TIJD` for the files we generate, or keeping each member's own zip entry for a
  copy of a user's file.

Standard library only: the reader, and so this module, runs in xlwings Lite (Pyodide) too.

Relationship types are matched in both spellings Excel writes, transitional
(`http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet`) and Strict
(`http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet`); the package relationship
namespace is the same in both. Element names and the `r:id` attribute are matched in both spellings
too (`MAIN_NAMESPACES`, `R_IDS`): a Strict workbook (ECMA-376 Part 1 Strict, Excel's "Strict Open XML
Spreadsheet") has the same parts and elements as a transitional one, only under the
`http://purl.oclc.org/ooxml/...` namespaces, so its sheets, tables and defined names are found the same.
`is_strict` tells the two apart.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

#: The one zip timestamp of every generated package (templates, Lite injection, the ribbon add-in),
#: so that the same content gives the same bytes. It is the templates' fixed creation date.
ZIP_TIJD = (2025, 5, 6, 0, 0, 0)
#: File mode stored with every member of a generated package.
ZIP_MODUS = 0o600

#: SpreadsheetML's main namespace (transitional) as ElementTree spells it.
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: The same namespace in Strict Open XML.
MAIN_NS_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
#: Both spellings, transitional first: a workbook uses one of them throughout.
MAIN_NAMESPACES = (MAIN_NS, MAIN_NS_STRICT)
#: The package relationships namespace (the same in Strict).
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
#: The `r:id` attribute that points from a part's XML to one of its relationships.
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: The same attribute in Strict.
R_ID_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
R_IDS = (R_ID, R_ID_STRICT)
#: Prefixes of a relationship type: transitional and Strict.
REL_TYPE_PREFIXEN = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/",
)

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
WORKBOOK = "xl/workbook.xml"

#: What `herschrijf` may put in place of a part: new bytes, or a function of the old ones.
Vervanging = bytes | Callable[[bytes], bytes]


class OngeldigeXml(ValueError):
    """A part is not well-formed XML."""


def lees_xml(data: bytes):
    """One part of a checked archive, parsed (`xml.etree.ElementTree.Element`).

    Only for archives `fiche.veilig.controleer_archief` let through (or that we wrote ourselves):
    defusedxml has refused every DTD in them, so this XML cannot declare entities, and the C parser
    reads it several times faster than defusedxml's pure-Python one. Raises `OngeldigeXml`.
    """
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(data)
    except Exception as exc:  # noqa: BLE001 - ParseError and anything odd alike
        raise OngeldigeXml(f"{type(exc).__name__}: {exc}") from None


def elementen(root, naam: str):
    """Every element `naam` ("sheet", "definedName") of SpreadsheetML's main namespace below `root`,
    in document order, whichever spelling (transitional or Strict) the part uses."""
    for ns in MAIN_NAMESPACES:
        yield from root.iter(f"{ns}{naam}")


def r_id(el) -> str | None:
    """The `r:id` of an element, in either spelling."""
    return next((el.get(a) for a in R_IDS if el.get(a) is not None), None)


def is_strict(wb) -> bool:
    """Whether a parsed workbook.xml is Strict Open XML (its root in the Strict main namespace)."""
    return str(wb.tag).startswith(MAIN_NS_STRICT)


# --- relationships ---------------------------------------------------------------------------

def rels_pad(deel: str) -> str:
    """The relationships part of `deel`: "xl/workbook.xml" -> "xl/_rels/workbook.xml.rels"."""
    map_, _, bestand = deel.lstrip("/").rpartition("/")
    return f"{map_}/_rels/{bestand}.rels" if map_ else f"_rels/{bestand}.rels"


def doelpad(map_: str, target: str) -> str:
    """A relationship target resolved against the folder `map_` of the part that holds it
    ("xl", "worksheets/sheet1.xml" -> "xl/worksheets/sheet1.xml"; "/xl/x.xml" and ".." too)."""
    if target.startswith("/"):
        delen = target.lstrip("/").split("/")
    else:
        delen = (map_.split("/") if map_ else []) + target.split("/")
    uit: list[str] = []
    for deel in delen:
        if deel == "..":
            if uit:
                uit.pop()
        elif deel and deel != ".":
            uit.append(deel)
    return "/".join(uit)


def relaties(delen: Mapping[str, bytes], deel: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, resolved part path) of part `deel`; {} when it has no rels part.
    External targets (hyperlinks) are left out: they are no part of the package."""
    rels = delen.get(rels_pad(deel))
    if rels is None:
        return {}
    map_ = deel.lstrip("/").rpartition("/")[0]
    return {r.get("Id"): (r.get("Type", ""), doelpad(map_, r.get("Target", "")))
            for r in lees_xml(rels).iter(f"{REL_NS}Relationship") if r.get("TargetMode") != "External"}


def is_type(rel_type: str, soort: str) -> bool:
    """Whether relationship type `rel_type` is `soort` ("worksheet", "table", "styles", ...).

    Only the last segment counts: that matches both spellings in `REL_TYPE_PREFIXEN` and whatever
    prefix another producer writes, as the reader has always matched table relationships."""
    return rel_type.rpartition("/")[2] == soort


def relatie_van_type(delen: Mapping[str, bytes], deel: str, soort: str) -> str | None:
    """The part the first relationship of type `soort` of `deel` points at, or None."""
    return next((doel for type_, doel in relaties(delen, deel).values() if is_type(type_, soort)), None)


# --- the workbook's structure ----------------------------------------------------------------

def blad_delen(delen: Mapping[str, bytes], wb=None) -> dict[str, str]:
    """Sheet name -> zip part of its worksheet XML (`wb`: workbook.xml already parsed)."""
    if wb is None:
        wb = lees_xml(delen.get(WORKBOOK, b""))
    rels = relaties(delen, WORKBOOK)
    uit = {}
    for s in elementen(wb, "sheet"):
        rel = rels.get(r_id(s) or "")
        if rel and s.get("name"):
            uit[s.get("name")] = rel[1]
    return uit


def tabellen(delen: Mapping[str, bytes], wb=None) -> dict[str, tuple[str, str]]:
    """Excel table name -> (sheet, ref including the header row) from the table parts the sheets'
    relationships point at."""
    uit: dict[str, tuple[str, str]] = {}
    for sheet, deel in blad_delen(delen, wb).items():
        for type_, doel in relaties(delen, deel).values():
            if not is_type(type_, "table") or doel not in delen:
                continue
            t = lees_xml(delen[doel])
            tnaam = t.get("displayName") or t.get("name")
            if tnaam and t.get("ref"):
                uit[tnaam] = (sheet, t.get("ref"))
    return uit


def defined_names(wb) -> dict[str, str]:
    """Defined names of a parsed workbook.xml: name -> reference. A sheet-scoped name only fills in
    when no workbook-scoped one of that name exists; Excel's own `_xlnm.` names are left out."""
    globaal: dict[str, str] = {}
    lokaal: dict[str, str] = {}
    for el in elementen(wb, "definedName"):
        n = el.get("name")
        if not n or n.startswith("_xlnm."):
            continue
        (lokaal if el.get("localSheetId") is not None else globaal).setdefault(n, (el.text or "").strip())
    return {**lokaal, **globaal}


# --- the package's bookkeeping, edited as bytes ----------------------------------------------

def _voeg_toe_voor(xml: bytes, sluit_tag: bytes, stuk: bytes) -> bytes:
    i = xml.rfind(sluit_tag)
    if i < 0:
        raise ValueError(f"{sluit_tag!r} not found")
    return xml[:i] + stuk + xml[i:]


def voeg_override_toe(content_types: bytes, deel: str, content_type: str) -> bytes:
    """[Content_Types].xml with an Override for part `deel`, unless it already has one."""
    naam = "/" + deel.lstrip("/")
    if f"PartName={quoteattr(naam)}".encode() in content_types:
        return content_types
    return _voeg_toe_voor(content_types, b"</Types>",
                          f"<Override PartName={quoteattr(naam)} ContentType={quoteattr(content_type)}/>".encode())


def voeg_relatie_toe(rels: bytes, rel_id: str, rel_type: str, target: str) -> bytes:
    """A rels part with one more relationship, unless one of type `rel_type` is already there."""
    if rel_type.encode() in rels:
        return rels
    rel = f"<Relationship Id={quoteattr(rel_id)} Type={quoteattr(rel_type)} Target={quoteattr(target)}/>"
    return _voeg_toe_voor(rels, b"</Relationships>", rel.encode())


# --- reading and rewriting the zip -----------------------------------------------------------

def _zip(bron: bytes | str | Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(bron) if isinstance(bron, (bytes, bytearray)) else bron)


def lees_deel(bron: bytes | str | Path, deel: str) -> bytes:
    """The bytes of one part of a package (file or bytes); KeyError when it has none."""
    with _zip(bron) as z:
        return z.read(deel)


def herschrijf(bron: bytes | str | Path, vervang: Mapping[str, Vervanging] | None = None,
               toevoegen: Mapping[str, bytes] | None = None, *, vast: bool = True,
               modus: int = ZIP_MODUS) -> bytes:
    """The package `bron` (file or bytes) as new zip bytes, its members in their order.

    `vervang`: part name -> new bytes, or a function from the old bytes to the new; every name must
    be a part of `bron` (KeyError otherwise). `toevoegen`: parts appended at the end, in their
    order; a part of that name already in `bron` is dropped from its old place.
    `vast`: every member gets the fixed `ZIP_TIJD`, deflate and file mode `modus`, so the same
    content always gives the same bytes (generated files). Without it each member keeps its own
    zip entry (time, mode, compression) and only a replaced part is deflated anew: a copy of a
    user's file stays as close to the original as it can.
    """
    vervang = dict(vervang or {})
    toevoegen = dict(toevoegen or {})
    uit = io.BytesIO()
    with _zip(bron) as zin:
        namen = {info.filename for info in zin.infolist()}
        ontbreekt = sorted(set(vervang) - namen)
        if ontbreekt:
            raise KeyError(f"no part {ontbreekt[0]!r} in the package")
        with zipfile.ZipFile(uit, "w", zipfile.ZIP_DEFLATED) as zout:
            def schrijf(info: zipfile.ZipInfo | None, naam: str, data: bytes, nieuw: bool) -> None:
                if vast or info is None:
                    entry = zipfile.ZipInfo(naam, date_time=ZIP_TIJD)
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    entry.external_attr = modus << 16
                    zout.writestr(entry, data)
                else:
                    zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED if nieuw else info.compress_type)

            for info in zin.infolist():
                naam = info.filename
                if naam in toevoegen:
                    continue
                data = zin.read(info)
                if naam in vervang:
                    nieuw = vervang[naam]
                    data = nieuw(data) if callable(nieuw) else nieuw
                schrijf(info, naam, data, naam in vervang)
            for naam, data in toevoegen.items():
                schrijf(None, naam, data, True)
    return uit.getvalue()


def delen_lezen(bron: bytes | str | Path, namen: Iterable[str]) -> dict[str, bytes]:
    """The bytes of the named parts that exist in the package (file or bytes)."""
    with _zip(bron) as z:
        aanwezig = set(z.namelist())
        return {n: z.read(n) for n in namen if n in aanwezig}
