"""Safe-open checks for a workbook someone sent us, run before any spreadsheet engine touches it.

A fiche arrives from people's laptops, Teams and mail. Before python-calamine (or anything else)
parses it, this module decides whether the bytes are an ordinary xlsx at all: not empty, not a
legacy .xls or a password-encrypted workbook (both OLE2 compound files), a zip that is complete,
within caps on member count, total uncompressed size and compression ratio (checked on the real
decompressed bytes, not only on the sizes the archive claims), and with no DTD in any XML part
(an entity bomb is refused by defusedxml before anything expands it).

Every refusal is a `fiche.errors.FileRefused` with a reason code (see `WEIGERCODES`) and a Dutch
message for the person who sent the file.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass

from fiche.errors import FileRefused, PmiekError

log = logging.getLogger(__name__)

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
_BLOK = 256 * 1024
#: Only the prolog of an XML part can hold a DTD; scanning this much of each part finds it.
_PROLOOG = 64 * 1024

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
    "xls": "a legacy .xls (OLE2) workbook",
    "versleuteld": "a password-encrypted workbook (OLE2 with EncryptionInfo/EncryptedPackage)",
    "geen_zip": "not a zip archive, so not an xlsx",
    "beschadigd": "a truncated or corrupt zip archive",
    "zip_bom": "over the caps on member count, uncompressed size or compression ratio",
    "xml_bom": "an XML part with a DTD or entity declarations (entity bomb), refused by defusedxml",
    "geen_werkboek": "a zip without a workbook part (xl/workbook.xml)",
    "onleesbaar": "the spreadsheet engine could not read the workbook",
    "geen_fiche": "a workbook without the pMIEK defined names (a foreign workbook)",
}


def vereis_defusedxml() -> None:
    """Refuse to read user workbooks unless defusedxml guards the XML parsers."""
    try:
        import defusedxml  # noqa: F401
        import openpyxl
    except ImportError as exc:
        raise PmiekError(
            f"defusedxml is required to read workbooks safely: {exc}",
            "Het pakket defusedxml ontbreekt; zonder deze beveiliging leest pMIEK Monitor geen werkboeken. "
            "Installeer pMIEK Monitor opnieuw (pip install pmiek-monitor).",
        ) from None
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


def _ole2_is_versleuteld(inhoud: bytes) -> bool:
    """An encrypted OOXML workbook is an OLE2 container with EncryptionInfo/EncryptedPackage."""
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(inhoud)) as ole:
            namen = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
        return bool({"encryptioninfo", "encryptedpackage"} & namen)
    except Exception:  # a damaged compound file: fall back to a plain scan of the names
        return "EncryptionInfo".encode("utf-16-le") in inhoud or "EncryptedPackage".encode("utf-16-le") in inhoud


def _controleer_xml(naam_lid: str, kop: bytes, bestand: str) -> None:
    """Let defusedxml judge any XML part whose prolog carries a DTD: it refuses DTDs and entities.

    Only the head of the part is fed (a DTD must come before the root element) and the parser is
    never closed, so a head cut off mid-element is not mistaken for malformed XML.
    """
    if b"<!DOCTYPE" not in kop and b"<!ENTITY" not in kop:
        return
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(kop)
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


#: Parts the reader parses itself, kept after unpacking so they are not inflated twice.
_BEWAAR = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")


def controleer_archief(inhoud: bytes, naam: str = "", limieten: Limieten = STANDAARD_LIMIETEN) -> GecontroleerdArchief:
    """Every check before an engine may open `inhoud`; raises `FileRefused` or returns it."""
    naam = naam or "werkboek"
    L = limieten
    if not inhoud:
        raise _weiger("leeg", naam, "empty file", "Het bestand is leeg (0 bytes). Is het opslaan mislukt?")
    if len(inhoud) > L.max_bestand:
        raise weiger_te_groot(naam, len(inhoud), L.max_bestand)
    if inhoud.startswith(OLE2_MAGIC):
        if _ole2_is_versleuteld(inhoud):
            raise _weiger(
                "versleuteld", naam, "password-encrypted workbook (OLE2 EncryptionInfo)",
                "Het werkboek is met een wachtwoord beveiligd. Verwijder het wachtwoord "
                "(Bestand > Info > Werkmap beveiligen) en lever de fiche opnieuw aan.",
            )
        raise _weiger(
            "xls", naam, "legacy OLE2 (.xls) workbook",
            "Dit is een oud Excel-bestand (.xls). Open het in Excel en sla het op als "
            "Excel-werkmap (.xlsx), of gebruik het fiche-sjabloon.",
        )
    if not (inhoud.startswith(ZIP_MAGIC) or inhoud.startswith(ZIP_LEEG_MAGIC)):
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
            raise _weiger(
                "geen_werkboek", naam, "zip without xl/workbook.xml",
                "Dit zip-bestand is geen Excel-werkmap. Gebruik het fiche-sjabloon (.xlsx).",
            )
        delen: dict[str, bytes] = {}
        totaal = 0
        gepakt = 0
        for info in leden:
            if info.is_dir():
                continue
            lid_totaal = 0
            kop = b""
            bewaar = info.filename in _BEWAAR
            stukken: list[bytes] = []
            try:
                # zipfile stops at the declared size and checks the CRC, so a member that lies
                # about its size ends here as BadZipFile instead of inflating without bound.
                with zf.open(info) as f:
                    while blok := f.read(_BLOK):
                        lid_totaal += len(blok)
                        totaal += len(blok)
                        if totaal > L.max_uitgepakt:
                            raise _weiger(
                                "zip_bom", naam, f"uncompressed size passed {L.max_uitgepakt} at {info.filename}",
                                "Het bestand wordt uitgepakt verdacht groot en wordt om veiligheidsredenen "
                                "niet gelezen.",
                            )
                        if len(kop) < _PROLOOG:
                            kop += blok[: _PROLOOG - len(kop)]
                        if bewaar:
                            stukken.append(blok)
            except FileRefused:
                raise
            except Exception as exc:  # noqa: BLE001
                # BadZipFile (CRC or size), zlib.error (damaged deflate data), RuntimeError (an
                # encrypted member), NotImplementedError (unknown compression): all a corrupt file.
                raise _weiger(
                    "beschadigd", naam, f"member {info.filename}: {type(exc).__name__}: {exc}",
                    "Het bestand is onvolledig of beschadigd (afgebroken opslag of download). "
                    "Sla de fiche opnieuw op en lever haar opnieuw aan.",
                ) from None
            gepakt += info.compress_size
            if lid_totaal > L.ratio_drempel and lid_totaal > L.max_ratio_lid * max(info.compress_size, 1):
                raise _weiger(
                    "zip_bom", naam,
                    f"member {info.filename} ratio {lid_totaal / max(info.compress_size, 1):.0f} > {L.max_ratio_lid}",
                    "Het bestand bevat een verdacht sterk ingepakt onderdeel (mogelijk een 'zip-bom') en "
                    "wordt om veiligheidsredenen niet gelezen.",
                )
            if info.filename.endswith((".xml", ".rels", ".vml")):
                _controleer_xml(info.filename, kop, naam)
            if bewaar:
                delen[info.filename] = b"".join(stukken)
        if totaal > L.ratio_drempel and totaal > L.max_ratio_totaal * max(gepakt, 1):
            raise _weiger(
                "zip_bom", naam, f"archive ratio {totaal / max(gepakt, 1):.0f} > {L.max_ratio_totaal}",
                "Het bestand is verdacht sterk ingepakt (mogelijk een 'zip-bom') en wordt om "
                "veiligheidsredenen niet gelezen.",
            )
    return GecontroleerdArchief(inhoud, delen)
