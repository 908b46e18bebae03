"""Writes the example project lists (invented, clearly marked as example data) that `pmiek demo`
imports: workbook_templates/examples/lijsten/.

Two operator layouts and two editions, for Drenthe's gemeenten:

- Enexis-style .xlsx ("Projectnummer; Projectnaam; Gemeente; Spanningsniveau; Type werk;
  Verwachte ingebruikname; Status"), IP2024 and IP2026;
- TenneT-style ';'-CSV ("Project ID; Naam; Locatie; IBN (jaar); Fase"), IP2024 and IP2026;
- a RENDO MS-T list (same CSV layout, two editions) and a small pMIEK 1.0 list (Enexis layout).

Some projects shift between editions (a few far enough to be plusprojecten), one disappears from
Enexis's IP2026, one is new there, and VB-0000 is the code the example fiche "Nieuwbouw station
Assen Zeijerveen" names. Every file has "voorbeeld" in its name and a note row on top.

    python scripts/build_lijsten.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UIT = ROOT / "workbook_templates" / "examples" / "lijsten"
#: Fixed package times, so the files only change when their content does.
VAST = dt.datetime(2026, 1, 1)

ENEXIS_KOP = ["Projectnummer", "Projectnaam", "Gemeente", "Spanningsniveau", "Type werk",
              "Verwachte ingebruikname", "Status"]
TENNET_KOP = ["Project ID", "Naam", "Locatie", "IBN (jaar)", "Fase"]

D = dt.date
#: Enexis: code, name, gemeente, voltage, work, IBN in IP2024, IBN in IP2026 (None: not in it), status.
ENEXIS = [
    ("VB-0000", "Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)", "Assen", "110/20 kV", "Nieuw station",
     D(2034, 12, 31), D(2035, 12, 31), "Projectfase"),
    ("VB-1001", "Uitbreiding station Emmen Bargermeer", "Emmen", "20 kV", "Uitbreiding station",
     "Q4 2028", "Q2 2030", "Planuitwerkfase"),
    ("VB-1002", "Verzwaring MS-ring Hoogeveen Buitenvaart", "Hoogeveen", "10 kV", "Verzwaring",
     D(2027, 7, 1), D(2027, 10, 1), "Realisatiefase"),
    ("VB-1003", "Nieuw verdeelstation Beilen", "Midden-Drenthe", "20 kV", "Nieuw station",
     "Q2 2029", "Q1 2030", "Projectfase"),
    ("VB-1004", "Kabelverbinding Meppel - Nijeveen", "Meppel", "20 kV", "Kabel", 2028, 2028, "Realisatiefase"),
    ("VB-1005", "Uitbreiding station Coevorden Holtinge", "Coevorden", "110/20 kV", "Uitbreiding station",
     2030, 2030, "Planuitwerkfase"),
    ("VB-1006", "Netversterking Zuidlaren", "Tynaarlo", "10 kV", "Netversterking", "Q3 2027", "Q3 2027",
     "Realisatiefase"),
    ("VB-1007", "Station Gieten tweede transformator", "Aa en Hunze", "20 kV", "Uitbreiding station",
     2027, None, "Realisatiefase"),
    ("VB-1008", "Verzwaring Roden Oost", "Noordenveld", "10 kV", "Verzwaring", 2029, 2031, "Projectfase"),
    ("VB-1009", "Nieuw station Exloërmond", "Borger-Odoorn", "110/20 kV", "Nieuw station", 2031, 2031,
     "Verkenningsfase"),
    ("VB-1010", "Netversterking Havelte", "Westerveld", "10 kV", "Netversterking", 2028, "Q2 2028",
     "Realisatiefase"),
    ("VB-1011", "Nieuw station Zuidwolde", "De Wolden", "20 kV", "Nieuw station", None, 2032, "Verkenningsfase"),
]
#: TenneT: code, name, location, IBN year in IP2024, in IP2026, phase.
TENNET = [
    ("VB-T-201", "Hoogspanningsstation Emmen Noord 110 kV", "Emmen Noord", 2031, 2033, "Planuitwerkfase"),
    ("VB-T-202", "Verbinding Meeden - Emmen 110 kV", "Emmen", 2030, 2030, "Realisatiefase"),
    ("VB-T-203", "Uitbreiding station Hoogeveen 220/110 kV", "Hoogeveen", 2029, 2030, "Realisatiefase"),
    ("VB-T-204", "Station Assen Zeijerveen 110 kV", "Assen", 2033, 2033, "Verkenningsfase"),
    ("VB-T-205", "Verbinding Meppel - Hoogeveen 110 kV", "Meppel", 2032, 2032, "Planuitwerkfase"),
]
#: RENDO MS-T: code, name, location, IBN year in MST2025, in MST2026, phase.
RENDO = [
    ("VB-R-31", "MS-T verzwaring Meppel Oevers", "Meppel", 2026, 2027, "Realisatiefase"),
    ("VB-R-32", "MS-T nieuwe ruimte Ruinen", "Ruinen", 2027, 2027, "Projectfase"),
    ("VB-R-33", "MS-T kabel Dwingeloo - Diever", "Dwingeloo", 2027, 2029, "Projectfase"),
    ("VB-R-34", "MS-T station Hollandscheveld", "Hollandscheveld", 2028, 2028, "Verkenningsfase"),
]
#: pMIEK 1.0 (Enexis layout): code, name, gemeente, voltage, work, IBN, status.
PMIEK1 = [
    ("P1-01", "Netuitbreiding bedrijventerrein Assen-Zuid", "Assen", "20 kV", "Netuitbreiding", D(2026, 12, 31),
     "Realisatiefase"),
    ("P1-02", "Station Coevorden Europark", "Coevorden", "110/20 kV", "Nieuw station", "Q4 2027", "Realisatiefase"),
    ("P1-03", "Warmtenet Emmen Centrum", "Emmen", "-", "Warmtenet", 2028, "Planuitwerkfase"),
]

NOTITIE = "VOORBEELDDATA: fictieve projectlijst in {opmaak}-opmaak, geen echte gegevens van {bron}."


def _xlsx(notitie: str, kop: list[str], rijen: list[list]) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Projecten"
    ws.append([notitie])
    ws.append(kop)
    for r in rijen:
        ws.append(r)
        for cel in ws[ws.max_row]:
            if isinstance(cel.value, dt.date):
                cel.number_format = "d-m-yyyy"
    for kolom, breedte in zip("ABCDEFG", (14, 50, 16, 14, 20, 22, 18), strict=False):
        ws.column_dimensions[kolom].width = breedte
    wb.properties.creator = "pMIEK Monitor (voorbeeld)"
    wb.properties.created = wb.properties.modified = VAST
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(notitie: str, kop: list[str], rijen: list[list]) -> bytes:
    regels = [notitie, ";".join(kop)] + [";".join("" if v is None else str(v) for v in r) for r in rijen]
    return ("\r\n".join(regels) + "\r\n").encode("utf-8-sig")  # as Dutch Excel saves "CSV UTF-8"


def bestanden() -> dict[str, bytes]:
    uit = {}
    for editie, i, peil in (("IP2024", 5, "2024-06-30"), ("IP2026", 6, "2026-06-30")):
        rijen = [[e[0], e[1], e[2], e[3], e[4], e[i], e[7]] for e in ENEXIS if e[i] is not None]
        uit[f"ip_Enexis_{editie}_{peil}_voorbeeld.xlsx"] = _xlsx(
            NOTITIE.format(opmaak="Enexis", bron="Enexis"), ENEXIS_KOP, rijen)
    for editie, i, peil in (("IP2024", 3, "2024-06-30"), ("IP2026", 4, "2026-06-30")):
        uit[f"ip_TenneT_{editie}_{peil}_voorbeeld.csv"] = _csv(
            NOTITIE.format(opmaak="TenneT", bron="TenneT"), TENNET_KOP,
            [[t[0], t[1], t[2], t[i], t[5]] for t in TENNET])
    for editie, i, peil in (("MST2025", 3, "2025-09-30"), ("MST2026", 4, "2026-09-30")):
        uit[f"ms-t_RENDO_{editie}_{peil}_voorbeeld.csv"] = _csv(
            NOTITIE.format(opmaak="TenneT/RENDO", bron="RENDO"), TENNET_KOP, [[r[0], r[1], r[2], r[i], r[5]]
                                                                             for r in RENDO])
    uit["pmiek1_Provincie-Drenthe_pMIEK1.0_2025-01-15_voorbeeld.xlsx"] = _xlsx(
        NOTITIE.format(opmaak="Enexis", bron="de provincie"), ENEXIS_KOP,
        [[p[0], p[1], p[2], p[3], p[4], p[5], p[6]] for p in PMIEK1])
    return uit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=UIT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    geschreven = bestanden()
    for naam, inhoud in geschreven.items():
        (args.out / naam).write_bytes(inhoud)
    for oud in sorted(set(args.out.iterdir()) - {args.out / n for n in geschreven}):
        if oud.suffix in (".xlsx", ".csv"):
            oud.unlink()
    print(f"{len(geschreven)} voorbeeldlijsten geschreven in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
