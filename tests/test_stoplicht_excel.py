"""The Excel formulas of the fiche agree with the Python stoplicht rule and date parsing.

Fiches are generated with `fiche.template.write_fiche` over a grid of dates around every
boundary of the rule (ondergrens, ondergrens + "nabij" months with month-end clamping,
bovengrens, each +-1 day), missing values, realised projects, typed text dates and the tolerance
setting 0/1/3/6 months; LibreOffice headless recalculates them and every computed label (and
every parsed helper date) must equal what `fiche.stoplicht` / `fiche.datums` say.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from fiche import schema as S
from fiche.datums import DatumFout, add_months, parse_datum
from fiche.stoplicht import mijlpaal_stoplicht, project_stoplicht
from fiche.template import DATUM_HULPCELLEN, REKENHULP_FICHE_COL, REKENHULP_MIJLPAAL_COL, REKENHULP_SHEET, write_fiche

pytestmark = pytest.mark.libreoffice

D = dt.date
DAG = dt.timedelta(days=1)
MIJLPALEN = S.MIJLPALEN
COL = {c.key: i for i, c in enumerate(MIJLPALEN.columns)}
#: Sheet -1 exports every sheet, each to "<stem>-<sheet name>.csv" (the helper cells live on the
#: hidden sheet Rekenhulp, the lights on Fiche and Mijlpalen: one recalculation serves all three).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
#: 0-based CSV columns of the parsed date (the last helper cell) on Rekenhulp.
FICHE_HULP = REKENHULP_FICHE_COL - 1 + len(DATUM_HULPCELLEN) - 1
MIJLPAAL_HULP = REKENHULP_MIJLPAAL_COL - 1  # first helper cell of a milestone row

#: (ondergrens, bovengrens) as typed: real dates, text periods, a narrow leap-day window.
VENSTERS = {
    "datums": (D(2031, 1, 31), D(2032, 12, 31)),
    "tekst": ("Q1 2032", "Q3 2032"),
    "smal": (D(2032, 2, 29), "31-5-2032"),
}
NABIJ = (0, 1, 3, 6)
#: Tolerances tried per window in the (one file per case) project test; the milestone test,
#: many cases per file, tries every window with every tolerance.
PROJECT_NABIJ = {"datums": NABIJ, "tekst": (3,), "smal": (3, 6)}


def parse(value, grens):
    try:
        return parse_datum(value, grens)
    except DatumFout:
        return None


def grenzen(venster):
    lo, hi = venster
    return parse(lo, "begin"), parse(hi, "eind")


def randdatums(lo: dt.date, hi: dt.date, nabij: int) -> list[dt.date]:
    """Every boundary of the rule, one day either side."""
    nabij_grens = add_months(lo, nabij)
    punten = {lo - DAG, lo, lo + DAG, nabij_grens - DAG, nabij_grens, nabij_grens + DAG, hi - DAG, hi, hi + DAG}
    return sorted(punten)


def convert_all(libreoffice, sources: list[Path], sheets: tuple[str, ...], outdir: Path, parallel: int = 2) -> None:
    """Recalculate many workbooks and export their sheets (`sheets` must be among them): a few
    LibreOffice runs side by side, each with its own profile and a share of the files."""
    outdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as profielen:
        procs = []
        for part in range(parallel):
            batch = sources[part::parallel]
            if not batch:
                continue
            profile = profielen.enter_context(libreoffice.profiel())  # the session's warm profiles
            cmd = libreoffice.command(profile, batch, CSV_FILTER, outdir)
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
    missing = [(s, sheet) for s in sources for sheet in sheets if not (outdir / f"{s.stem}-{sheet}.csv").exists()]
    assert not missing, f"LibreOffice exported nothing for {missing}"


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def lo_date(text: str) -> dt.date | None:
    """A date as LibreOffice's CSV export shows it (en-US: month/day/year)."""
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    assert m, f"not a LibreOffice date: {text!r}"
    return D(int(m[3]), int(m[1]), int(m[2]))


# --- Project light: one fiche per case ------------------------------------------------------

def project_cases() -> list[dict]:
    cases = []
    for naam, venster in VENSTERS.items():
        lo, hi = grenzen(venster)
        for nabij in PROJECT_NABIJ[naam]:
            for prognose in randdatums(lo, hi, nabij):
                cases.append(dict(venster=venster, prognose=prognose, nabij=nabij))
    lo, hi = VENSTERS["datums"]
    cases += [
        dict(venster=(None, hi), prognose=D(2031, 3, 1), nabij=3),
        dict(venster=(lo, None), prognose=D(2031, 3, 1), nabij=3),
        dict(venster=(None, None), prognose=None, nabij=3),
        dict(venster=(lo, hi), prognose=None, nabij=3),
        dict(venster=(lo, hi), prognose="onzin", nabij=3),
        dict(venster=(lo, hi), prognose=D(2034, 1, 1), gerealiseerd=D(2033, 6, 1), nabij=3),
        dict(venster=(None, None), prognose=None, gerealiseerd="Q2 2031", nabij=3),
        dict(venster=(lo, hi), prognose=D(2034, 1, 1), gerealiseerd="geen idee", nabij=3),
        # Typed periods take their bound: a prognose "Q2 2031" means 30-6-2031.
        dict(venster=(lo, hi), prognose="Q2 2031", nabij=3),
        dict(venster=(lo, hi), prognose="Q2 2031", nabij=6),
        dict(venster=(lo, hi), prognose="2032", nabij=3),
        dict(venster=(lo, hi), prognose=2033, nabij=3),
        dict(venster=(lo, hi), prognose="april 2031", nabij=3),
        dict(venster=(lo, hi), prognose="30 april 2031", nabij=3),
        dict(venster=(lo, hi), prognose="1-5-2031", nabij=3),
        dict(venster=(lo, hi), prognose="31-12-2032", nabij=3),
        dict(venster=(lo, hi), prognose="2033 Q1", nabij=3),
        dict(venster=("2031", "2032"), prognose="Q4 2032", nabij=3),
        dict(venster=("jan 2031", "dec. 2032"), prognose="1 jan 2033", nabij=3),
        # Planning phrases: begin/medio/eind name one day, a half year takes its bound.
        dict(venster=("begin 2031", "eind 2032"), prognose="H2 2031", nabij=3),
        dict(venster=(lo, hi), prognose="medio 2031", nabij=6),
        dict(venster=(lo, hi), prognose="medio 2031", nabij=3),
        dict(venster=("H1 2031", "H2 2032"), prognose="eind 2032", nabij=3),
        dict(venster=("H1 2031", "H1 2033"), prognose="2033 H1", nabij=3),
        dict(venster=(lo, hi), prognose="voorjaar 2031", nabij=3),
        # An inverted window (ondergrens after bovengrens) is Onbekend, never a colour.
        dict(venster=(hi, lo), prognose=D(2031, 3, 1), nabij=3),
        dict(venster=(hi, lo), prognose=D(2033, 3, 1), nabij=3),
        dict(venster=("Q3 2032", "Q1 2032"), prognose="Q2 2032", nabij=3),
    ]
    return cases


def test_project_formula_agrees_with_python(libreoffice, tmp_path):
    cases = project_cases()
    assert len(cases) > 60
    type_ = "concreet"
    schema = S.schema_for(type_)
    lo_key, hi_key, prog_key, real_key = schema.window_keys
    sources = []
    for i, case in enumerate(cases):
        velden = {
            "projectnaam": f"Project {i}", "gemeente": S.GEMEENTEN[i % len(S.GEMEENTEN)],
            lo_key: case["venster"][0], hi_key: case["venster"][1],
            prog_key: case["prognose"], real_key: case.get("gerealiseerd"),
        }
        sources.append(write_fiche(tmp_path / f"p{i:03d}.xlsx", type_, velden, nabij_maanden=case["nabij"]))
    convert_all(libreoffice, sources, ("Fiche", REKENHULP_SHEET), tmp_path / "csv")

    verschillen = []
    for i, case in enumerate(cases):
        rows = read_csv(tmp_path / "csv" / f"p{i:03d}-Fiche.csv")
        hulp = read_csv(tmp_path / "csv" / f"p{i:03d}-{REKENHULP_SHEET}.csv")
        excel = next(r[1] for r in rows if r and r[0] == "Stoplicht project")
        python = project_stoplicht(
            parse(case["prognose"], schema.field(prog_key).bound),
            parse(case["venster"][0], schema.field(lo_key).bound),
            parse(case["venster"][1], schema.field(hi_key).bound),
            parse(case.get("gerealiseerd"), schema.field(real_key).bound),
            case["nabij"],
        ).value
        if excel != python:
            verschillen.append((case, excel, python))
        cluster = next(r[1] for r in rows if r and r[0] == "Energiecluster (afgeleid)")
        gemeente = S.GEMEENTEN[i % len(S.GEMEENTEN)]
        if cluster != (S.energiecluster(gemeente) or ""):
            verschillen.append((gemeente, "energiecluster", cluster))
        # The hidden helper cells read each window date exactly as parse_datum does.
        for key, value in ((lo_key, case["venster"][0]), (hi_key, case["venster"][1]),
                           (prog_key, case["prognose"]), (real_key, case.get("gerealiseerd"))):
            f = schema.field(key)
            helper = next(r for r in hulp if r and r[0] == f.label)[FICHE_HULP]
            if lo_date(helper) != parse(value, f.bound):
                verschillen.append((case, key, helper, parse(value, f.bound)))
    assert not verschillen, verschillen
    labels = {project_stoplicht(parse(c["prognose"], "eind"), *grenzen(c["venster"]),
                                parse(c.get("gerealiseerd"), "begin"), c["nabij"]).value for c in cases}
    assert labels == {"Op planning", "Risico op vertraging", "Vertraagd", "Onbekend", "Gerealiseerd"}


# --- Milestone lights: many rows per fiche ------------------------------------------------------

def mijlpaal_rows(lo: dt.date | None, hi: dt.date | None, nabij: int) -> list[dict]:
    rows = []
    if lo is not None and hi is not None:
        for gepland in (D(2028, 3, 31), D(2029, 1, 31)):
            for doel in randdatums(lo, hi, nabij):
                vertraging = dt.timedelta(days=(doel - lo).days)
                rows.append({"gepland": gepland, "prognose": gepland + vertraging})
                # Gereed wins over the prognose.
                rows.append({"gepland": gepland, "prognose": gepland + 400 * DAG, "gereed": gepland + vertraging})
    rows += [
        {"gepland": None, "prognose": D(2028, 1, 1)},
        {"gepland": D(2028, 1, 1)},
        {"gepland": D(2028, 1, 1), "prognose": "onzin"},
        {"gepland": "onzin", "prognose": D(2028, 1, 1)},
        {"gepland": "Q1 2028", "prognose": "Q2 2028"},
        {"gepland": "1-3-2028", "prognose": "1 juni 2028"},
        {"gepland": "2028", "prognose": "2029"},
        {"gepland": 2028, "gereed": "maart 2029"},
        {"gepland": "31-1-2028", "prognose": "31-2-2028"},
        {"gepland": "2028-03-01", "prognose": "kw 2 2029"},
        {"gepland": D(2028, 1, 1), "prognose": D(2027, 1, 1)},
        # Only a name: a milestone without dates is Onbekend (not an empty row).
        {},
    ]
    for i, row in enumerate(rows):
        row["mijlpaal"] = f"Mijlpaal {i + 1}"
    return rows


def test_milestone_formula_agrees_with_python(libreoffice, tmp_path):
    fiches = []
    for naam, venster in list(VENSTERS.items()) + [("zonder_ondergrens", (None, D(2032, 1, 1))),
                                                    ("zonder_bovengrens", (D(2031, 1, 1), None)),
                                                    ("omgekeerd", (D(2032, 12, 31), D(2031, 1, 31)))]:
        for nabij in NABIJ if naam in VENSTERS else (3,):
            lo, hi = grenzen(venster)
            fiches.append((f"m_{naam}_{nabij}", venster, nabij, mijlpaal_rows(lo, hi, nabij)))
    sources = []
    for stem, venster, nabij, rows in fiches:
        velden = {"projectnaam": stem, "ibn_ondergrens": venster[0], "ibn_bovengrens": venster[1]}
        sources.append(write_fiche(tmp_path / f"{stem}.xlsx", "concreet", velden, {"mijlpalen": rows},
                                   nabij_maanden=nabij))
    convert_all(libreoffice, sources, (MIJLPALEN.label, REKENHULP_SHEET), tmp_path / "csv")

    verschillen, gezien, aantal = [], set(), 0
    for stem, venster, nabij, rows in fiches:
        grid = read_csv(tmp_path / "csv" / f"{stem}-Mijlpalen.csv")
        header = grid[2]
        assert header[: len(MIJLPALEN.columns)] == [c.label for c in MIJLPALEN.columns]
        body = grid[3:]
        # Rekenhulp holds a milestone's helper cells on the row number of the milestone.
        hulp = read_csv(tmp_path / "csv" / f"{stem}-{REKENHULP_SHEET}.csv")[3:]
        assert len(body) >= len(rows) and len(hulp) >= len(rows)
        lo, hi = grenzen(venster)
        for row, values, hulpwaarden in zip(rows, body, hulp):
            assert values[COL["mijlpaal"]] == row["mijlpaal"]
            python = mijlpaal_stoplicht(
                parse(row.get("gepland"), "begin"), parse(row.get("prognose"), "begin"),
                parse(row.get("gereed"), "begin"), lo, hi, nabij).value
            excel = values[COL["stoplicht"]]
            aantal += 1
            gezien.add(python)
            if excel != python:
                verschillen.append((stem, row, excel, python))
            for i, key in enumerate(("gepland", "prognose", "gereed")):
                helper = hulpwaarden[MIJLPAAL_HULP + i * len(DATUM_HULPCELLEN) + len(DATUM_HULPCELLEN) - 1]
                if lo_date(helper) != parse(row.get(key), MIJLPALEN.column(key).bound):
                    verschillen.append((stem, row, key, helper))
        # Empty rows of the table are no milestones: no light (and certainly not green).
        for values in body[len(rows):]:
            assert values[COL["stoplicht"]] == ""
    assert not verschillen, verschillen[:20]
    assert aantal > 300
    assert gezien == {"Op planning", "Risico op vertraging", "Vertraagd", "Onbekend"}


# --- Dates as people type them -----------------------------------------------------------------

TEKSTEN = [
    "1-3-2031", "01-03-2031", "1/3/2031", "1.3.2031", " 1-3-2031 ", "31-12-2031", "29-2-2032", "29-2-2031",
    "31-4-2031", "13-13-2031", "2031-03-01", "1 maart 2031", "1 Maart 2031", "1 mrt 2031", "1 mrt. 2031",
    "15 december 2031", "3 okt 2030", "1 brumaire 2031", "maart 2031", "feb 2032", "feb 2031", "Q1 2031",
    "Q3 2031", "q4 2031", "Q4-2031", "K2 2031", "kw3 2031", "2031 Q3", "2031", " 2031 ", "Q5 2031", "Q3 2150",
    "1-3-1890", "onzin", "", "2031.5", 2031, 2031.0, 46000, 46000.75, 1989, 0.5, 3_000_000, D(2031, 3, 1),
    # pasted text: non-breaking spaces, a tab, a line break; year first with other separators;
    # a time after the date and full-width digits (neither side reads those)
    "1\u00a0mei\u00a02031", "1\tmei 2031", "Q3\n2031", "2031/5/1", "2031.5.1", "2031-5-1 00:00",
    "\uff11-5-2031",
    # Planning phrases (parse_datum's module docstring): begin/medio/eind with a year, half years;
    # case, spacing and bounds of the year; refused variants (Python explains them, Excel leaves
    # the cell empty): seasons, eind with a month, no space, half years 0/3, years out of range.
    "eind 2031", "Eind 2031", "EIND  2031", " eind 2031 ", "eind\u00a02031", "einde 2031", "eind 2100",
    "eind 2101", "eind 1989", "begin 1990", "begin 2031", "Begin 2031", "BEGIN\t2031", "medio 2032",
    "MEDIO 2032", "Medio  2031", "medio 2031.", "eind2031", "eind-2031", "eind 31", "eind maart 2031",
    "begin Q3 2031", "medio maart 2031", "half 2031", "eind 2031 Q3", "H1 2031", "h2 2031", "H2-2031",
    "H1/2031", "h12031", "H 1 2031", "2031 H2", "2031-h1", "2031h2", "H3 2031", "H0 2031", "H1 2101",
    "H2 2100", "H1 1990", "h1.2031", "voorjaar 2031", "Zomer 2031", "najaar 2031", "winter 2031",
    "lente 2031", "herfst 2031", "eerste helft 2031", "Q3/2031", "q3 / 2031",
    # A year must be four ASCII digits on both sides ("2e03" is a number to Excel).
    "2e03", "q1 2e03", "1-3-2e03", "medio 2e03", "H1 2e03",
]


def test_typed_dates_parse_like_python(libreoffice, tmp_path):
    """Every text form of the issue, as gepland (begin) and as IBN bovengrens/prognose (eind)."""
    rows = [{"mijlpaal": f"t{i}", "gepland": v} for i, v in enumerate(TEKSTEN)]
    path = write_fiche(tmp_path / "tekst.xlsx", "concreet", {"projectnaam": "Tekst"}, {"mijlpalen": rows})
    # Two eind-bound fields per fiche: the bovengrens holds one text, the prognose the next.
    paren = [(TEKSTEN[i], TEKSTEN[(i + 1) % len(TEKSTEN)]) for i in range(0, len(TEKSTEN), 2)]
    eind_sources = [write_fiche(tmp_path / f"e{i:02d}.xlsx", "concreet",
                                {"projectnaam": "E", "ibn_bovengrens": a, "ibn_prognose": b})
                    for i, (a, b) in enumerate(paren)]
    convert_all(libreoffice, [path], (REKENHULP_SHEET,), tmp_path / "csv", parallel=1)
    convert_all(libreoffice, eind_sources, (REKENHULP_SHEET,), tmp_path / "csv")

    verschillen = []
    body = read_csv(tmp_path / "csv" / f"tekst-{REKENHULP_SHEET}.csv")[3:]
    result_col = MIJLPAAL_HULP + len(DATUM_HULPCELLEN) - 1
    for value, values in zip(TEKSTEN, body):
        if lo_date(values[result_col]) != parse(value, "begin"):
            verschillen.append(("begin", value, values[result_col], parse(value, "begin")))
    for i, pair in enumerate(paren):
        rows = read_csv(tmp_path / "csv" / f"e{i:02d}-{REKENHULP_SHEET}.csv")
        for key, value in zip(("ibn_bovengrens", "ibn_prognose"), pair):
            label = S.CONCREET.field(key).label
            helper = next(r for r in rows if r and r[0] == label)[FICHE_HULP]
            if lo_date(helper) != parse(value, "eind"):
                verschillen.append(("eind", key, value, helper, parse(value, "eind")))
    assert not verschillen, verschillen
