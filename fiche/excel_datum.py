"""Dates the way people type them, as Excel formulas: the spreadsheet twin of `fiche.datums.parse_datum`.

The fiche's stoplichten colour in plain Excel, without any add-in, so what a team member typed
("1-3-2031", "maart 2031", "Q3 2031", 2031, a real date) must become a date inside the workbook
too. `excel_datum_cellen` gives the formulas of the helper cells that do this; `fiche.template`
writes them on the hidden `Rekenhulp` sheet. tests/test_stoplicht_excel.py recalculates them in
LibreOffice and checks that they agree with `parse_datum` on every boundary.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from fiche.datums import MAX_JAAR, MIN_JAAR, to_excel_serial

#: Helper cells per date input, in order; see `excel_datum_cellen`.
DATUM_HULPCELLEN = ("tekst", "streep", "kort", "dmj", "d_maand_j", "overig", "planning", "datum")


def excel_datum_cellen(x: str, refs: Sequence[str], grens: str = "begin") -> list[str]:
    """Formulas (no leading "=") for the helper cells that turn the value in `x` into the date
    serial `fiche.datums.parse_datum(value, grens)` gives, or "" when it is empty or not a date.

    `refs` are the cell references of the helper cells, in the order of DATUM_HULPCELLEN; the
    last one holds the result. Splitting the work over cells keeps every formula far below
    Excel's 8,192-character limit.

    Mirrors parse_datum for real dates and numbers (a whole number 1990-2100 is a year), and for
    the text forms d-m-jjjj (also / and .), jjjj-m-d, "1 maart 2031", "maart 2031", "Q3 2031" /
    "K3 2031" / "kw3 2031" / "2031 Q3", "H1 2031" / "2031 H2", "2031", and the planning phrases
    "begin 2031" (1-1), "medio 2031" (1-7) and "eind 2031" / "einde 2031" (31-12). A year, half
    year, quarter or month means its first day for grens "begin" and its last day for "eind".
    Month names are looked up on `Lijsten`.
    """
    t, s, k, r_dmj, r_dmaandj, r_overig, r_planning, _ = refs
    lo_serial, hi_serial = to_excel_serial(dt.date(MIN_JAAR, 1, 1)), to_excel_serial(dt.date(MAX_JAAR + 1, 1, 1))
    eind = grens == "eind"

    def jaar_ok(y: str) -> str:
        # The number written back must be the text itself: "2e03" or "２０３１" are numbers to
        # Excel but not four ASCII digits, which is all parse_datum takes for a year.
        return f'AND(LEN({y})=4,{y}*1>={MIN_JAAR},{y}*1<={MAX_JAAR},{y}*1&""={y})'

    def periode(y: str, m_first: str, m_last: str) -> str:
        # DATE(y, m+1, 0) is the last day of month m in Excel and LibreOffice alike.
        return f"DATE({y}*1,{m_last}+1,0)" if eind else f"DATE({y}*1,{m_first},1)"

    def dag(y: str, m: str, d: str) -> str:
        # DATE rolls 31-2 over into March; parse_datum refuses it, so check the round trip.
        datum = f"DATE({y}*1,{m}*1,{d}*1)"
        return (f"IF(AND({jaar_ok(y)},LEN({m})<=2,LEN({d})<=2,{m}*1>=1,{m}*1<=12,"
                f"MONTH({datum})={m}*1,DAY({datum})={d}*1),{datum},NA())")

    # Non-breaking spaces (text pasted from Outlook or Word), tabs and line breaks count as
    # spaces, as they do for Python's str.split() in parse_datum; TRIM alone only knows CHAR(32).
    wit = x
    # UNICHAR is an Excel 2013 function: stored with its _xlfn. prefix, as Excel itself does.
    for code in ("_xlfn.UNICHAR(160)", "CHAR(9)", "CHAR(10)", "CHAR(13)"):
        wit = f'SUBSTITUTE({wit},{code}," ")'
    tekst = f'IF(ISTEXT({x}),TRIM(LOWER({wit})),"")'
    # Dashes, slashes and dots are one separator.
    streep = f'SUBSTITUTE(SUBSTITUTE({t},"/","-"),".","-")'
    kort = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({t}," ",""),"-",""),"/","")'

    # "1-3-2031" or "2031-3-1": split on the first two separators.
    p1 = f'FIND("-",{s})'
    p2 = f'FIND("-",{s},{p1}+1)'
    a = f"LEFT({s},{p1}-1)"
    b = f"MID({s},{p1}+1,{p2}-{p1}-1)"
    c = f"MID({s},{p2}+1,99)"
    dmj = (f'IFERROR(IF(ISERROR(FIND("-",{s},{p2}+1)),IF(LEN({a})=4,{dag(a, b, c)},{dag(c, b, a)}),NA()),"")')

    # "1 maart 2031" (a dot after the month is allowed)
    q1 = f'FIND(" ",{t})'
    q2 = f'FIND(" ",{t},{q1}+1)'
    maand3 = f'VLOOKUP(SUBSTITUTE(MID({t},{q1}+1,{q2}-{q1}-1),".",""),lijst_maanden,2,FALSE)'
    d_maand_j = (f'IFERROR(IF(ISERROR(FIND(" ",{t},{q2}+1)),'
                 f"{dag(f'MID({t},{q2}+1,99)', maand3, f'LEFT({t},{q1}-1)')},NA()),\"\")")

    # "2031"
    b_jaar = f"IF({jaar_ok(t)},{periode(t, '1', '12')},NA())"
    # "maart 2031"
    maand2 = f'VLOOKUP(SUBSTITUTE(LEFT({t},{q1}-1),".",""),lijst_maanden,2,FALSE)'
    y2 = f"MID({t},{q1}+1,99)"
    b_maand_j = (f'IF(AND(ISERROR(FIND(" ",{t},{q1}+1)),{jaar_ok(y2)}),'
                 f"{periode(y2, maand2, maand2)},NA())")
    # "Q3 2031", "K3-2031", "kw3 2031": separators dropped, then the marker stripped.
    rest = f'IF(LEFT({k},2)="kw",MID({k},3,99),IF(OR(LEFT({k},1)="q",LEFT({k},1)="k"),MID({k},2,99),NA()))'
    kq = f"LEFT({rest},1)"
    ky = f"RIGHT({rest},4)"
    kw_voor = (f'IF(AND(LEN({rest})=5,OR({kq}="1",{kq}="2",{kq}="3",{kq}="4"),{jaar_ok(ky)}),'
               f"{periode(ky, f'3*{kq}-2', f'3*{kq}')},NA())")
    # "2031 Q3"
    staart = f"MID({k},5,99)"
    merk = f"LEFT({staart},LEN({staart})-1)"
    sq = f"RIGHT({staart},1)"
    sy = f"LEFT({k},4)"
    kw_na = (f'IF(AND(OR({merk}="q",{merk}="k",{merk}="kw"),OR({sq}="1",{sq}="2",{sq}="3",{sq}="4"),'
             f"{jaar_ok(sy)}),{periode(sy, f'3*{sq}-2', f'3*{sq}')},NA())")
    # "begin 2031", "medio 2031", "eind 2031", "einde 2031": one day whatever the bound; exactly
    # one space after the word (t is trimmed and its spaces collapsed, as in parse_datum).
    y6, y7 = f"MID({t},6,99)", f"MID({t},7,99)"
    b_rond = (f'IF(AND(OR(LEFT({t},6)="begin ",LEFT({t},6)="medio "),{jaar_ok(y7)}),'
              f'DATE({y7}*1,IF(LEFT({t},1)="b",1,7),1),'
              f'IF(AND(LEFT({t},5)="eind ",{jaar_ok(y6)}),DATE({y6}*1,12,31),'
              f'IF(AND(LEFT({t},6)="einde ",{jaar_ok(y7)}),DATE({y7}*1,12,31),NA())))')
    # "H1 2031", "h2-2031", "2031 H1": like the quarters, after spaces, "-" and "/" are dropped.
    hh, hy = f"MID({k},2,1)", f"MID({k},3,99)"
    h_voor = (f'IF(AND(LEFT({k},1)="h",OR({hh}="1",{hh}="2"),{jaar_ok(hy)}),'
              f"{periode(hy, f'6*{hh}-5', f'6*{hh}')},NA())")
    nh, ny = f"RIGHT({k},1)", f"LEFT({k},4)"
    h_na = (f'IF(AND(LEN({k})=6,MID({k},5,1)="h",OR({nh}="1",{nh}="2"),{jaar_ok(ny)}),'
            f"{periode(ny, f'6*{nh}-5', f'6*{nh}')},NA())")

    def eerste_van(*takken: str) -> str:
        return "".join(f"IFERROR({tak}," for tak in takken) + '""' + ")" * len(takken)

    overig = eerste_van(b_jaar, b_maand_j, kw_voor, kw_na)
    planning = eerste_van(b_rond, h_voor, h_na)

    number = (
        f"IF(AND({x}>={MIN_JAAR},{x}<={MAX_JAAR},{x}=INT({x})),{periode(x, '1', '12')},"
        f'IF(AND({x}>={lo_serial},{x}<{hi_serial}),INT({x}),""))'
    )
    datum = (f"IF(ISNUMBER({x}),{number},IF(ISNUMBER({r_dmj}),{r_dmj},IF(ISNUMBER({r_dmaandj}),{r_dmaandj},"
             f'IF(ISNUMBER({r_overig}),{r_overig},IF(ISNUMBER({r_planning}),{r_planning},"")))))')
    return [tekst, streep, kort, dmj, d_maand_j, overig, planning, datum]
