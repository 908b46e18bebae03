"""Safe-open checks for a workbook someone sent us, run before any spreadsheet engine touches it.

A fiche arrives from people's laptops, Teams and mail. Before python-calamine (or anything else)
parses it, this module decides whether the bytes are an ordinary xlsx at all: not empty, not a
legacy .xls or a password-encrypted workbook (both OLE2 compound files), a zip that is complete,
within caps on member count, total uncompressed size and compression ratio, and with no DTD in
any XML part (an entity bomb is refused by defusedxml before anything expands it). Members are
never inflated past the size the archive declares for them, so a member that lies about its size
is caught too, unless the archive is so small that even deflate's worst case stays under the cap
(then nothing in it can inflate dangerously, and only the XML prologs and the parts the reader
parses itself are inflated here).

Each sheet the reader opens is checked once more just before the engine reads it
(`fiche.rooster.controleer_blad`): the grid the engine would allocate for it, computed from the
cell positions as the engine itself computes them, must stay within MAX_ROOSTER cells, since an
allocation the engine cannot make aborts the process. The expat streaming helpers it uses
(`_parse`, `_stukken`) live here, as the shared-string check needs them too.

Every refusal is a `fiche.errors.FileRefused` with a reason code (see `WEIGERCODES`) and a Dutch
message for the person who sent the file. A file that is no xlsx is recognised from its bytes, not
its name (`FORMATEN`: old Excel 97-2003, OpenDocument, binary Excel .xlsb, CSV and other
text, Word, PowerPoint, PDF, ...), so the message names what it really is and says how to save it
as .xlsx. A member whose data is damaged (a bad deflate stream, a wrong CRC, inflating to another
size than declared but soon ending) is "beschadigd"; only one that goes on inflating far past its
declared size is refused as a possible zip bomb.

Longer than 500 lines because it is one gate: every byte a partner sends passes these checks
before any engine sees it, and the limits, the format recognition and the reasons for refusing
share the safe inflating of members (`_pak_uit`); split, a reader would have to follow one
refusal through several modules.
"""

from __future__ import annotations

import io
import logging
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from fiche.errors import FileRefused, PmiekError

log = logging.getLogger("pmiek.fiche.veilig")

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An empty zip archive (only an end-of-central-directory record).
ZIP_LEEG_MAGIC = b"PK\x05\x06"

#: Caps for a fiche: the generated template is about 30 KB packed and 200 KB unpacked, so these
#: leave a wide margin for pasted text and images while refusing anything bomb-like.
MAX_BESTAND = 50 * 1024 * 1024
MAX_LEDEN = 2000
MAX_UITGEPAKT = 200 * 1024 * 1024
#: Ratio caps: sparse sheet XML compresses well (20-50x); 200x over the whole archive or
#: 1000x for one large member is no spreadsheet a person made.
MAX_RATIO_TOTAAL = 200
MAX_RATIO_LID = 1000
#: A member is only judged on its own ratio above this size (tiny members compress oddly).
RATIO_DREMPEL = 1024 * 1024
#: The reading engine builds a sheet as one grid from A1 to its last cell, so one cell at
#: XFD1048576 in a 50 KB file asks for half a terabyte and aborts the process (not an
#: exception Python can catch). A fiche uses a few hundred rows and a few dozen columns.
MAX_RIJ = 100_000
MAX_ROOSTER = 2_000_000  # rows x columns
#: The engine reserves room for the declared number of shared strings up front.
MAX_GEDEELDE_TEKSTEN = 1_000_000

@dataclass(frozen=True)
class Limieten:
    """The caps one check applies; the defaults are the module constants above."""

    max_bestand: int = MAX_BESTAND
    max_leden: int = MAX_LEDEN
    max_uitgepakt: int = MAX_UITGEPAKT
    max_ratio_totaal: float = MAX_RATIO_TOTAAL
    max_ratio_lid: float = MAX_RATIO_LID
    ratio_drempel: int = RATIO_DREMPEL


STANDAARD_LIMIETEN = Limieten()

#: Reason codes of `FileRefused` raised while opening a file, with what they mean (English).
WEIGERCODES: dict[str, str] = {
    "niet_gevonden": "the path does not exist or is not a file",
    "leeg": "the file is empty",
    "te_groot": "the file is larger than MAX_BESTAND",
    "xls": "an OLE2 compound file that is no encrypted workbook: a legacy .xls (or another old Office file)",
    "versleuteld": "a password-encrypted workbook (OLE2 with EncryptionInfo/EncryptedPackage)",
    "geen_zip": "not a zip archive, so not an xlsx (CSV or other text, PDF, an image, ...)",
    "beschadigd": "a truncated or corrupt zip archive, or a member whose data is damaged (deflate, CRC)",
    "zip_bom": "over the caps on member count, uncompressed size or compression ratio",
    "xml_bom": "an XML part with a DTD or entity declarations (entity bomb), refused by defusedxml",
    "geen_werkboek": "a zip without a workbook part (xl/workbook.xml): OpenDocument, .xlsb, Word, ...",
    "onleesbaar": "the spreadsheet engine could not read the workbook",
    "geen_fiche": "a workbook without the pMIEK defined names (a foreign workbook)",
}


def vereis_defusedxml() -> None:
    """Refuse to read user workbooks unless defusedxml is there: the reader parses their XML
    through it (`fiche.ooxml`)."""
    try:
        import defusedxml  # noqa: F401
    except ImportError as exc:
        raise PmiekError(
            f"defusedxml is required to read workbooks safely: {exc}",
            "Het pakket defusedxml ontbreekt; zonder deze beveiliging leest pMIEK Monitor geen werkboeken. "
            "Installeer pMIEK Monitor opnieuw (pip install pmiek-monitor).",
        ) from None


def vereis_veilige_openpyxl() -> None:
    """`vereis_defusedxml`, and for code that opens a user's workbook with openpyxl
    (`addin.payload`): openpyxl must parse through defusedxml too. The fiche reader does not
    use openpyxl, so it does not import it (a fifth of a reader process's start)."""
    vereis_defusedxml()
    import openpyxl
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise PmiekError(
            "openpyxl does not use defusedxml (openpyxl.DEFUSEDXML is false)",
            "openpyxl gebruikt defusedxml niet; zonder deze beveiliging leest pMIEK Monitor geen werkboeken.",
        )


@dataclass
class GecontroleerdArchief:
    """A zip that passed every check, with the parts the reader needs already unpacked."""

    inhoud: bytes
    delen: dict[str, bytes]  # small XML parts the reader parses itself (workbook.xml and rels)
    leden: dict[str, zipfile.ZipInfo] = field(default_factory=dict)  # every member, by name
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # what checks worked out once

    def open(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(io.BytesIO(self.inhoud))


def _weiger(reason: str, naam: str, log_message: str, melding: str) -> FileRefused:
    log.warning("refused file=%r reason=%s: %s", naam, reason, log_message)
    return FileRefused(reason, f"{naam}: {log_message}", melding)


def weiger_te_groot(naam: str, grootte: int, maximum: int = MAX_BESTAND) -> FileRefused:
    return _weiger(
        "te_groot", naam, f"{grootte} bytes > {maximum}",
        f"Het bestand is te groot voor een fiche ({grootte / (1024 * 1024):.1f} MB; "
        f"maximaal {maximum / (1024 * 1024):.0f} MB).",
    )


def _ole2_stromen(inhoud: bytes) -> set[str]:
    """The lower-case names of the streams and storages in an OLE2 compound file ("workbook",
    "encryptedpackage", "worddocument", ...)."""
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(inhoud)) as ole:
            return {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # a damaged compound file: fall back to a plain scan of the names
        namen = ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument", "PowerPoint Document")
        return {n.lower() for n in namen if n.encode("utf-16-le") in inhoud}


def _ole2_is_versleuteld(stromen: set[str]) -> bool:
    """An encrypted OOXML workbook is an OLE2 container with EncryptionInfo/EncryptedPackage."""
    return bool({"encryptioninfo", "encryptedpackage"} & stromen)


def _ole2_formaat(stromen: set[str]) -> str:
    """"xls" for a compound file with a BIFF workbook stream (or one too damaged to tell), else "ole2"."""
    return "xls" if {"workbook", "book"} & stromen or not stromen else "ole2"


# --- what a file that is no xlsx really is --------------------------------------------------------

_OPSLAAN = "Open het in Excel en kies Opslaan als > Excel-werkmap (.xlsx)."
_SJABLOON = "Gebruik het fiche-sjabloon (pmiek template) en sla de fiche op als Excel-werkmap (.xlsx)."

#: Format key -> (English name for the log, Dutch message).
FORMATEN: dict[str, tuple[str, str]] = {
    "xls": ("legacy OLE2 (.xls) workbook",
            "Dit is een oud Excel-bestand (Excel 97-2003, .xls). Open het in Excel en kies Opslaan als > "
            "Excel-werkmap (.xlsx), of gebruik het fiche-sjabloon."),
    "ole2": ("OLE2 compound file that is no workbook (.doc, .ppt, ...)",
             "Dit is een ouder Office-bestand (bijvoorbeeld Word 97-2003, .doc), geen Excel-werkmap. " + _SJABLOON),
    "ods": ("OpenDocument spreadsheet (.ods)",
            "Dit is een OpenDocument-rekenblad (.ods). Open het in Excel of LibreOffice en kies Opslaan als > "
            "Excel-werkmap (.xlsx)."),
    "odf": ("OpenDocument file that is no spreadsheet",
            "Dit is een OpenDocument-bestand (bijvoorbeeld een tekstdocument, .odt), geen rekenblad. " + _SJABLOON),
    "xlsb": ("binary Excel workbook (.xlsb)",
             "Dit is een binaire Excel-werkmap (.xlsb). " + _OPSLAAN),
    "docx": ("Word document (.docx)", "Dit is een Word-document (.docx), geen Excel-werkmap. " + _SJABLOON),
    "pptx": ("PowerPoint presentation (.pptx)",
             "Dit is een PowerPoint-presentatie (.pptx), geen Excel-werkmap. " + _SJABLOON),
    "numbers": ("Apple Numbers file",
                "Dit is een Numbers-bestand (Apple). Kies in Numbers Archief > Exporteer naar > Excel (.xlsx)."),
    "csv": ("CSV text",
            "Dit is een tekstbestand met gescheiden waarden (CSV), geen Excel-werkmap. Een CSV-bestand bewaart "
            "geen celnamen en kan dus geen fiche zijn: vul de fiche in het fiche-sjabloon in (pmiek template) "
            "en sla die op als Excel-werkmap (.xlsx)."),
    "tekst": ("plain text", "Dit is een tekstbestand, geen Excel-werkmap (.xlsx). " + _SJABLOON),
    "html": ("HTML page",
             "Dit is een webpagina (HTML), geen echte Excel-werkmap, ook als de naam op .xls eindigt. " + _OPSLAAN),
    "xml2003": ("Excel 2003 XML spreadsheet",
                "Dit is een XML-werkblad van Excel 2003 (XML-spreadsheet 2003). " + _OPSLAAN),
    "xml": ("XML document", "Dit is een XML-bestand, geen Excel-werkmap (.xlsx). " + _SJABLOON),
    "pdf": ("PDF document", "Dit is een PDF-bestand, geen Excel-werkmap. " + _SJABLOON),
}

_CSV_SCHEIDERS = (";", ",", "\t", "|")


def _als_tekst(kop: bytes) -> str | None:
    """The head of a file as text, or None when it is binary (NUL or other control bytes)."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if kop.startswith(bom):
            kop, gekozen = kop[len(bom):], codec
            break
    else:
        if b"\x00" in kop:
            return None
        gekozen = "utf-8"
    import codecs

    for codec in dict.fromkeys((gekozen, "cp1252")):
        try:
            tekst = codecs.getincrementaldecoder(codec)().decode(kop, final=False)  # the head may end mid-character
        except UnicodeDecodeError:
            continue
        if any(ord(c) < 32 and c not in "\t\r\n\f" for c in tekst):
            return None
        return tekst
    return None


def _tekst_formaat(inhoud: bytes) -> str | None:
    """What a file that is no zip and no compound file is: "csv", "tekst", "html", "xml2003", "xml",
    "pdf", or None (binary data we do not recognise)."""
    if inhoud.startswith(b"%PDF-"):
        return "pdf"
    tekst = _als_tekst(inhoud[:64 * 1024])
    if tekst is None:
        return None
    kop = tekst.lstrip().lower()
    if kop.startswith("<"):
        if "<html" in kop[:4096] or kop.startswith("<!doctype html"):
            return "html"
        if "urn:schemas-microsoft-com:office:spreadsheet" in kop[:8192]:
            return "xml2003"
        return "xml"
    regels = [r for r in tekst.splitlines() if r.strip()]
    if len(tekst) >= 64 * 1024 and len(regels) > 1:
        regels = regels[:-1]  # the last line of the head may be cut off
    regels = regels[:20]
    for scheider in _CSV_SCHEIDERS:
        aantallen = {r.count(scheider) for r in regels}
        if regels and len(aantallen) == 1 and min(aantallen) >= 1:
            return "csv"
    return "tekst"


def _zip_formaat(inhoud: bytes, leden: list[zipfile.ZipInfo]) -> str | None:
    """What a zip without xl/workbook.xml is: "ods", "odf", "xlsb", "docx", "pptx", "numbers" or None."""
    op_naam = {i.filename: i for i in leden}
    if "xl/workbook.bin" in op_naam:
        return "xlsb"
    if "word/document.xml" in op_naam:
        return "docx"
    if "ppt/presentation.xml" in op_naam:
        return "pptx"
    if "Index/Document.iwa" in op_naam or any(n.startswith("Index/") and n.endswith(".iwa") for n in op_naam):
        return "numbers"
    if "mimetype" in op_naam:
        try:
            mimetype = _pak_uit(inhoud, op_naam["mimetype"], 200)
        except Exception:  # noqa: BLE001 - a damaged mimetype member: no OpenDocument file we can name
            return None
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument."):
            return "odf"
    return None


def _weiger_formaat(reason: str, naam: str, formaat: str) -> FileRefused:
    engels, melding = FORMATEN[formaat]
    return _weiger(reason, naam, f"{engels}, not an xlsx", melding)


class _WortelGevonden(Exception):
    """The root element started: the prolog, where a DTD would have to be, is over."""


def _stop(*_args) -> None:
    raise _WortelGevonden


_STUK = 16 * 1024


def _controleer_xml(naam_lid: str, data: bytes, bestand: str, volledig: bool = True) -> bool:
    """defusedxml parses the part's prolog, the only place a DTD can be, and refuses any DTD.

    Parsing stops at the root element, so the cost is a few hundred bytes per part whatever its
    size; expat reads the encoding declaration and byte-order mark, so a UTF-16 part or a DTD
    hidden behind a long comment is found too. Once every part has passed, no XML in the archive
    can declare an entity, and any XML parser may read it.

    `data` may be only the head of the part (`volledig` False): then False means "the prolog goes
    on past the head; check the whole part".
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.parser.StartElementHandler = _stop
    try:
        for i in range(0, len(data), _STUK):
            parser.feed(data[i:i + _STUK])
    except _WortelGevonden:
        return True
    except DefusedXmlException as exc:
        raise _weiger(
            "xml_bom", bestand, f"{naam_lid}: {type(exc).__name__} ({exc})",
            "Het bestand bevat XML met een DTD of entiteiten (mogelijk een 'XML-bom') en wordt om "
            "veiligheidsredenen niet gelezen. Sla de fiche opnieuw op vanuit Excel.",
        ) from None
    except Exception as exc:  # noqa: BLE001 - malformed XML is a corrupt file, not a bomb
        raise _weiger(
            "beschadigd", bestand, f"{naam_lid}: malformed XML ({exc})",
            "Het bestand is beschadigd (ongeldige XML). Sla de fiche opnieuw op vanuit Excel.",
        ) from None
    if not volledig:
        return False
    raise _weiger(
        "beschadigd", bestand, f"{naam_lid}: XML part without a root element",
        "Het bestand is beschadigd (ongeldige XML). Sla de fiche opnieuw op vanuit Excel.",
    )


# --- streaming a part through expat ------------------------------------------------------

#: Pieces in which a part is inflated and parsed, so memory stays flat for a large part.
_STROOM = 64 * 1024


class _Klaar(Exception):
    """The scan has seen all the engine will read."""


def _stukken(inhoud: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's bytes in pieces of at most `_STROOM`, never inflating more than its declared
    size (plus one byte, to notice a member that lies about it: `_Gelogen`)."""
    if info.flag_bits & 0x1:
        raise ValueError("encrypted zip member")
    sig, n_naam, n_extra = _LOKALE_KOP.unpack_from(inhoud, info.header_offset)
    if sig != ZIP_MAGIC:
        raise ValueError("bad local file header")
    begin = info.header_offset + _LOKALE_KOP.size + n_naam + n_extra
    ruw = memoryview(inhoud)[begin:begin + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(ruw), _STROOM):
            yield bytes(ruw[i:i + _STROOM])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ValueError(f"compression method {info.compress_type}")
    d = zlib.decompressobj(-15)
    totaal = 0
    for i in range(0, len(ruw), _STROOM):
        stuk = d.decompress(ruw[i:i + _STROOM], _STROOM)
        while True:
            totaal += len(stuk)
            if totaal > info.file_size:
                raise _Gelogen(info.filename)
            if stuk:
                yield stuk
            if not d.unconsumed_tail:
                break
            stuk = d.decompress(d.unconsumed_tail, _STROOM)


def _verboden_dtd(*_args) -> None:
    raise ValueError("DTD in a sheet")


def _parse(inhoud: bytes, info: zipfile.ZipInfo, start, einde=None) -> None:
    """Feed a member through expat (no namespace processing: names as written) until a handler
    raises `_Klaar` or the part ends. A DTD is refused (it was already, for the prolog)."""
    from xml.parsers import expat

    p = expat.ParserCreate()
    p.StartElementHandler = start
    if einde is not None:
        p.EndElementHandler = einde
    p.StartDoctypeDeclHandler = _verboden_dtd
    p.EntityDeclHandler = _verboden_dtd
    try:
        for stuk in _stukken(inhoud, info):
            p.Parse(stuk, False)
        p.Parse(b"", True)
    except _Klaar:
        pass


_TELLING = ("uniqueCount", "count")


def _controleer_gedeelde_teksten(naam_lid: str, kop: bytes, bestand: str,
                                 inhoud: bytes | None = None, info: zipfile.ZipInfo | None = None) -> None:
    """Refuse a shared-string table declaring more entries than any fiche has: the engine
    reserves room for `uniqueCount` entries of the first `sst` element (by local name, root or
    not, leading zeros and either quote alike) before reading one (see MAX_GEDEELDE_TEKSTEN).
    `kop` is the part's head; the rest is only inflated when the first `sst` is not in it."""

    def start(naam: str, attrs: dict[str, str]) -> None:
        if naam.split(":", 1)[-1] != "sst":
            return
        for sleutel, waarde in attrs.items():
            w = waarde.strip()
            if sleutel.split(":", 1)[-1] in _TELLING and w.isdigit() and w.isascii() and int(w) > MAX_GEDEELDE_TEKSTEN:
                raise _weiger(
                    "zip_bom", bestand, f"{naam_lid} declares {int(w)} strings > {MAX_GEDEELDE_TEKSTEN}",
                    "Het bestand declareert onwaarschijnlijk veel teksten en wordt om veiligheidsredenen "
                    "niet gelezen.",
                )
        raise _Klaar

    from xml.parsers import expat

    p = expat.ParserCreate()
    p.StartElementHandler = start
    try:
        p.Parse(kop, False)
    except _Klaar:
        return
    except expat.ExpatError:
        pass  # a head cut in a multi-byte character, or malformed: read it whole below
    if inhoud is None or info is None:
        return
    try:
        _parse(inhoud, info, start)
    except FileRefused:
        raise
    except _Gelogen:
        raise _weiger_gelogen(bestand, info) from None
    except Exception as exc:  # noqa: BLE001
        raise _weiger(
            "beschadigd", bestand, f"{naam_lid}: {type(exc).__name__}: {exc}",
            "Het bestand is beschadigd (ongeldige XML). Sla de fiche opnieuw op vanuit Excel.",
        ) from None


def _bewaren(naam: str) -> bool:
    """Parts the reader parses itself (names, relationships, tables), kept so they are inflated once."""
    return naam == "xl/workbook.xml" or naam.endswith(".rels") or naam.startswith("xl/tables/")


class _Gelogen(Exception):
    """A member inflates to more than the size the archive declares for it."""


def _weiger_gelogen(naam: str, info: zipfile.ZipInfo) -> FileRefused:
    return _weiger(
        "zip_bom", naam, f"member {info.filename} inflates beyond its declared {info.file_size} bytes",
        "Een onderdeel van het bestand is groter dan het archief opgeeft (mogelijk een "
        "'zip-bom'); het bestand wordt om veiligheidsredenen niet gelezen.",
    )


_LOKALE_KOP = struct.Struct("<4s22xHH")
#: Deflate cannot expand data more than about 1032 times (RFC 1951: 258 bytes per 2-bit code).
DEFLATE_MAX_RATIO = 1040
#: How much of an XML part is inflated to find its prolog (a DTD can only be there).
_KOP = 2 * 1024


def _hoogstens(info: zipfile.ZipInfo) -> int:
    """The most a member can inflate to, whatever size it declares."""
    return info.compress_size * (DEFLATE_MAX_RATIO if info.compress_type == zipfile.ZIP_DEFLATED else 1)


#: How far past its declared size a member may inflate before it counts as a zip bomb rather than
#: damaged data: its declared size again, and at least this much. A damaged deflate stream ends or
#: fails within a few kilobytes of garbage; a bomb's goes on for megabytes or gigabytes.
NA_OPGAVE = 256 * 1024
_BLOK = 64 * 1024

_BESCHADIGD = ("Het bestand is onvolledig of beschadigd (afgebroken opslag of download). "
               "Sla de fiche opnieuw op en lever haar opnieuw aan.")


def _beschadigd(bestand: str, info: zipfile.ZipInfo, reden: str) -> FileRefused:
    return _weiger("beschadigd", bestand, f"member {info.filename}: {reden}", _BESCHADIGD)


def _pak_uit(inhoud: bytes, info: zipfile.ZipInfo, kop: int | None = None, bestand: str = "werkboek") -> bytes:
    """One member's bytes, never inflating more than its declared size (plus one byte to notice a lie);
    with `kop`, only its first `kop` bytes.

    Deflate runs in C straight on the archive bytes, before the spreadsheet engine reads anything.
    Damaged data (a bad local header, a broken deflate stream, a wrong size or CRC) raises
    `FileRefused` "beschadigd" for `bestand`; a member that goes on inflating far past its declared
    size (see `NA_OPGAVE`) raises `_Gelogen` (a zip bomb), found while keeping no more than one
    block of the excess.
    """
    if info.flag_bits & 0x1:
        raise _beschadigd(bestand, info, "encrypted zip member")
    try:
        sig, n_naam, n_extra = _LOKALE_KOP.unpack_from(inhoud, info.header_offset)
    except struct.error:
        raise _beschadigd(bestand, info, "local file header cut off") from None
    if sig != ZIP_MAGIC:
        raise _beschadigd(bestand, info, "bad local file header")
    begin = info.header_offset + _LOKALE_KOP.size + n_naam + n_extra
    ruw = inhoud[begin:begin + info.compress_size]
    if len(ruw) != info.compress_size:
        raise _beschadigd(bestand, info, "member data cut off")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _beschadigd(bestand, info, f"compression method {info.compress_type} (Excel writes only deflate)")
    try:
        if kop is not None:
            if info.compress_type == zipfile.ZIP_STORED:
                return ruw[:kop]
            return zlib.decompressobj(-15).decompress(ruw, kop)
        if info.compress_type == zipfile.ZIP_STORED:
            data = ruw
        else:
            d = zlib.decompressobj(-15)
            data = d.decompress(ruw, info.file_size + 1)
            if len(data) > info.file_size:
                _voorbij_opgave(d, info, bestand)
            if not d.eof:
                raise _beschadigd(bestand, info, "deflate stream incomplete")
    except zlib.error as exc:
        raise _beschadigd(bestand, info, f"damaged deflate data: {exc}") from None
    if len(data) != info.file_size:
        raise _beschadigd(bestand, info, f"inflated {len(data)} bytes, declared {info.file_size}")
    if zlib.crc32(data) != info.CRC:
        raise _beschadigd(bestand, info, "CRC mismatch")
    return data


def _voorbij_opgave(d, info: zipfile.ZipInfo, bestand: str) -> None:
    """A member inflated past its declared size: `_Gelogen` when it goes on for more than its declared
    size again (and at least `NA_OPGAVE`), else (the stream ends or breaks soon after) damaged data."""
    grens = max(info.file_size, NA_OPGAVE)
    over = 1
    rest = d.unconsumed_tail
    while not d.eof and over <= grens:
        stuk = d.decompress(rest, _BLOK)
        rest = d.unconsumed_tail
        over += len(stuk)
        if not stuk and not rest:
            break  # the input ran out before the stream ended
    if over > grens:
        raise _Gelogen(info.filename)
    raise _beschadigd(bestand, info, f"inflates to {info.file_size + over} bytes, declared {info.file_size}")


def controleer_archief(inhoud: bytes, naam: str = "", limieten: Limieten = STANDAARD_LIMIETEN) -> GecontroleerdArchief:
    """Every check before an engine may open `inhoud`; raises `FileRefused` or returns it."""
    naam = naam or "werkboek"
    L = limieten
    if not inhoud:
        raise _weiger("leeg", naam, "empty file", "Het bestand is leeg (0 bytes). Is het opslaan mislukt?")
    if len(inhoud) > L.max_bestand:
        raise weiger_te_groot(naam, len(inhoud), L.max_bestand)
    if inhoud.startswith(OLE2_MAGIC):
        stromen = _ole2_stromen(inhoud)
        if _ole2_is_versleuteld(stromen):
            raise _weiger(
                "versleuteld", naam, "password-encrypted workbook (OLE2 EncryptionInfo)",
                "Het werkboek is met een wachtwoord beveiligd. Verwijder het wachtwoord "
                "(Bestand > Info > Werkmap beveiligen) en lever de fiche opnieuw aan.",
            )
        raise _weiger_formaat("xls", naam, _ole2_formaat(stromen))
    if not (inhoud.startswith(ZIP_MAGIC) or inhoud.startswith(ZIP_LEEG_MAGIC)):
        formaat = _tekst_formaat(inhoud)
        if formaat is not None:
            raise _weiger_formaat("geen_zip", naam, formaat)
        raise _weiger(
            "geen_zip", naam, f"not a zip archive (starts with {inhoud[:8]!r})",
            "Dit is geen Excel-werkmap (.xlsx). Gebruik het fiche-sjabloon en sla op als .xlsx.",
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(inhoud))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _weiger(
            "beschadigd", naam, f"bad zip: {exc}",
            "Het bestand is onvolledig of beschadigd (afgebroken opslag of download). "
            "Sla de fiche opnieuw op en lever haar opnieuw aan.",
        ) from None
    with zf:
        leden = zf.infolist()
        if len(leden) > L.max_leden:
            raise _weiger(
                "zip_bom", naam, f"{len(leden)} members > {L.max_leden}",
                "Het bestand bevat verdacht veel onderdelen en wordt om veiligheidsredenen niet gelezen.",
            )
        geclaimd = sum(i.file_size for i in leden)
        if geclaimd > L.max_uitgepakt:
            raise _weiger(
                "zip_bom", naam, f"declared uncompressed size {geclaimd} > {L.max_uitgepakt}",
                "Het bestand wordt uitgepakt verdacht groot en wordt om veiligheidsredenen niet gelezen.",
            )
        namen = {i.filename for i in leden}
        if "xl/workbook.xml" not in namen:
            formaat = _zip_formaat(inhoud, leden)
            if formaat is not None:
                raise _weiger_formaat("geen_werkboek", naam, formaat)
            raise _weiger(
                "geen_werkboek", naam, "zip without xl/workbook.xml",
                "Dit zip-bestand is geen Excel-werkmap. Gebruik het fiche-sjabloon (.xlsx).",
            )
        delen: dict[str, bytes] = {}
        totaal = 0
        gepakt = 0
        # When even the worst case (every member inflating as far as deflate can) stays under the
        # cap, nothing can inflate dangerously and parts we do not parse ourselves need not be
        # inflated here (the engine inflates them once). Otherwise every member is inflated,
        # bounded by its declared size, so a member lying about its size is caught.
        snel = sum(_hoogstens(i) for i in leden) <= L.max_uitgepakt
        for info in leden:
            if info.is_dir():
                continue
            is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
            heel = not snel or _bewaren(info.filename)
            if not heel and not is_xml:
                grootte = info.file_size
            else:
                try:
                    data = _pak_uit(inhoud, info, None if heel else _KOP, naam)
                    if is_xml and not _controleer_xml(info.filename, data, naam, volledig=heel):
                        data = _pak_uit(inhoud, info, bestand=naam)  # a prolog longer than the head: check it all
                        heel = True
                        _controleer_xml(info.filename, data, naam)
                except FileRefused:
                    raise
                except _Gelogen:
                    raise _weiger_gelogen(naam, info) from None
                except Exception as exc:  # noqa: BLE001 - anything else odd in a member: a corrupt file
                    raise _beschadigd(naam, info, f"{type(exc).__name__}: {exc}") from None
                grootte = len(data) if heel else info.file_size
            totaal += grootte
            gepakt += info.compress_size
            if grootte > L.ratio_drempel and grootte > L.max_ratio_lid * max(info.compress_size, 1):
                raise _weiger(
                    "zip_bom", naam,
                    f"member {info.filename} ratio {grootte / max(info.compress_size, 1):.0f} > {L.max_ratio_lid}",
                    "Het bestand bevat een verdacht sterk ingepakt onderdeel (mogelijk een 'zip-bom') en "
                    "wordt om veiligheidsredenen niet gelezen.",
                )
            if info.filename.lower().endswith("sharedstrings.xml"):
                # The engine opens "xl/sharedStrings.xml" in any letter case, ".XML" too.
                _controleer_gedeelde_teksten(info.filename, data[:_KOP] if is_xml else b"", naam, inhoud, info)
            if _bewaren(info.filename):
                delen[info.filename] = data
        if totaal > L.ratio_drempel and totaal > L.max_ratio_totaal * max(gepakt, 1):
            raise _weiger(
                "zip_bom", naam, f"archive ratio {totaal / max(gepakt, 1):.0f} > {L.max_ratio_totaal}",
                "Het bestand is verdacht sterk ingepakt (mogelijk een 'zip-bom') en wordt om "
                "veiligheidsredenen niet gelezen.",
            )
    return GecontroleerdArchief(inhoud, delen, {i.filename: i for i in leden})
