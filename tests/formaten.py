"""Files in the formats a partner may save instead of .xlsx, built byte for byte for the tests.

- `ole2`: a compound file (MS-CFB version 3, 512-byte sectors) with the given streams, as olefile
  and Excel read them; `xls` puts a BIFF8 workbook stream in one (BOF and EOF records: the form of
  an Excel 97-2003 workbook, not a full one), `doc` a Word stream;
- `ods` / `odt`: a minimal OpenDocument package (the `mimetype` member stored first, a manifest, a
  content part with one table), as ODF 1.2 Part 3 prescribes;
- `xlsb`: the package of a binary Excel workbook (`xl/workbook.bin` and a binary sheet part; the
  BIFF12 records inside are a stub, only the package matters to the reader);
- `xlsm`: a real fiche as Excel saves it macro-enabled (the workbook's content type says so);
- `csv`, `html`, `xml2003`: the text formats Excel opens or exports.
LibreOffice writes .xls and .ods for real too; the tests marked `libreoffice` use those.
"""

from __future__ import annotations

import io
import struct
import zipfile

_EINDE = 0xFFFFFFFE  # ENDOFCHAIN
_VRIJ = 0xFFFFFFFF  # FREESECT / NOSTREAM
_FAT_SECTOR = 0xFFFFFFFD
_SECTOR = 512
#: Streams below this size live in the mini stream; ours are padded past it to keep one FAT.
_MINI_GRENS = 4096


def _dir_entry(naam: str, soort: int, start: int, grootte: int, kind: int = _VRIJ, rechts: int = _VRIJ) -> bytes:
    code = naam.encode("utf-16-le") + b"\x00\x00"
    return struct.pack("<64sHBBIII16sIQQIQ", code, len(code), soort, 1, _VRIJ, rechts, kind,
                       bytes(16), 0, 0, 0, start, grootte)


def ole2(stromen: dict[str, bytes]) -> bytes:
    """A compound file holding `stromen` (at most three) below its root entry."""
    assert len(stromen) <= 3
    # Padded past the mini-stream cutoff and declared at that size: the streams need no mini stream.
    data = [s.ljust(_MINI_GRENS, b"\x00") for s in stromen.values()]
    sectoren = [len(d) // _SECTOR + (1 if len(d) % _SECTOR else 0) for d in data]
    fat = [_FAT_SECTOR, _EINDE]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for n in sectoren:
        begin = len(fat)
        starts.append(begin)
        fat += [begin + i + 1 for i in range(n - 1)] + [_EINDE]
    assert len(fat) <= _SECTOR // 4
    fat += [_VRIJ] * (_SECTOR // 4 - len(fat))
    entries = [_dir_entry("Root Entry", 5, _EINDE, 0, kind=1)]
    for i, (naam, d) in enumerate(zip(stromen, data)):
        entries.append(_dir_entry(naam, 2, starts[i], len(d),
                                  rechts=i + 2 if i + 1 < len(stromen) else _VRIJ))
    entries += [bytes(128)] * (4 - len(entries))
    kop = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE,
                      9, 6, bytes(6), 0, 1, 1, 0, _MINI_GRENS, _EINDE, 0, _EINDE, 0)
    kop += struct.pack("<I", 0) + struct.pack("<108I", *([_VRIJ] * 108))
    uit = kop + struct.pack(f"<{_SECTOR // 4}I", *fat) + b"".join(entries)
    for d, n in zip(data, sectoren):
        uit += d.ljust(n * _SECTOR, b"\x00")
    return uit


def xls() -> bytes:
    """An Excel 97-2003 workbook: a compound file with a BIFF8 `Workbook` stream."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    return ole2({"Workbook": bof + eof})


def doc() -> bytes:
    """A Word 97-2003 document: a compound file with a `WordDocument` stream."""
    return ole2({"WordDocument": b"\xec\xa5" + bytes(30), "1Table": bytes(64)})


def _odf(mimetype: str, body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored, as ODF requires
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        z.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            f'<office:body>{body}</office:body></office:document-content>'))
    return buf.getvalue()


def ods() -> bytes:
    return _odf("application/vnd.oasis.opendocument.spreadsheet",
                '<office:spreadsheet><table:table table:name="Fiche"><table:table-row><table:table-cell '
                'office:value-type="string"><text:p>Projectnaam</text:p></table:table-cell></table:table-row>'
                '</table:table></office:spreadsheet>')


def odt() -> bytes:
    return _odf("application/vnd.oasis.opendocument.text", "<office:text><text:p>Notities</text:p></office:text>")


def xlsb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
            '</Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.bin"/></Relationships>'))
        z.writestr("xl/workbook.bin", b"\x83\x01\x00\x84\x01\x00")  # BrtBeginBook, BrtEndBook
        z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00\x82\x01\x00")
    return buf.getvalue()


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                        'wordprocessingml/2006/main"><w:body/></w:document>')
    return buf.getvalue()


def xlsm(xlsx: bytes) -> bytes:
    """The workbook as Excel saves it macro-enabled: the same parts, the workbook's content type
    `sheet.macroEnabled.main+xml`."""
    uit = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(uit, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
            zout.writestr(info.filename, data)
    return uit.getvalue()


def csv() -> bytes:
    """A CSV export as Dutch Excel writes it: semicolons, CRLF, Windows-1252."""
    return "Projectnaam;Gemeente;Peildatum\r\nStation Emmen Noord;Emmen;1-11-2026\r\n".encode("cp1252")


def html() -> bytes:
    """What some web tools export as "rapport.xls": an HTML table."""
    return (b'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><body><table><tr><td>Projectnaam</td></tr>'
            b"</table></body></html>")


def xml2003() -> bytes:
    return (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Fiche" '
            b'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"/></Workbook>')
