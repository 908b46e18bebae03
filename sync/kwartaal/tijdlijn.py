"""The timeline picture of the quarterly e-mail: each project's IBN (or oplevering) window as a
bar, the prognose as a marker, coloured by stoplicht.

It draws the projects it is given, in that order from the top: the e-mail passes the projects
it details, worst first (`Rapport.projecten`), so the picture stays small at any portfolio size
and reads in the same order as the text. A legend explains every mark it uses.

Rendered with matplotlib's Agg backend (no display needed) into PNG bytes. The output is
deterministic for the same `Overzicht`: fixed size, font and DPI, and no timestamp or software
version in the PNG metadata, so a reproduced quarter gives byte-identical mail.
"""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: the service runs headless

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from fiche.stoplicht import Stoplicht  # noqa: E402
from sync.overzicht import ProjectStand  # noqa: E402

#: Made for a phone: 720 px drawn, shown at 300 to 480 px. At 8.5 points a label is about 24
#: drawn pixels tall, 10 to 16 on the phone (7 points, shown at about 7 px, was too small).
#: Names stand on their own line above each bar; a label column beside the bars would leave
#: the bars a few pixels on a phone screen.
BREEDTE_IN = 3.6
DPI = 200
NAAM_PT = 8.5
#: Keeps a long project name on one line at NAAM_PT.
MAX_NAAM = 44


def _hex(kleur: str) -> str:
    return "#" + kleur


def _kort(naam: str) -> str:
    """Shortens a long name in the middle: names of one programme often share their start
    ("Deelnet Emmen (...) Emmen Noord" / "... Emmen Bargermeer"), so the end must stay visible."""
    if len(naam) <= MAX_NAAM:
        return naam
    # Whole words from the end, up to two thirds of the room; the start fills the rest.
    woorden = naam.split()
    staart = ""
    while woorden and len(woorden[-1]) + len(staart) + 1 <= (MAX_NAAM - 1) * 2 // 3:
        staart = (woorden.pop() + " " + staart).strip()
    kop = naam[: MAX_NAAM - 1 - len(staart)].rstrip()
    return f"{kop}…{staart}" if staart else naam[: MAX_NAAM - 1] + "…"


def tijdlijn_png(projecten: list[ProjectStand], peildatum: dt.date) -> bytes:
    """PNG bytes of the timeline; projects without any date are listed without a bar."""
    # Project names are fiche text: "$...$" must stay text, not become mathtext (which can fail
    # to parse and would take the whole report down).
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _teken(projecten, peildatum)


def _teken(projecten: list[ProjectStand], peildatum: dt.date) -> bytes:
    rijen = list(projecten)
    legenda_in = 0.95
    hoogte_in = max(1.9, 0.35 + 0.46 * len(rijen) + legenda_in)
    fig = Figure(figsize=(BREEDTE_IN, hoogte_in), dpi=DPI)
    # A pure Figure (no pyplot) keeps no global state between renders.
    ax = fig.add_subplot(111)
    ax.set_facecolor("white")
    font = {"family": "DejaVu Sans", "size": NAAM_PT}

    alle_datums: list[dt.date] = [peildatum]
    for p in rijen:
        alle_datums += [d for d in (p.ondergrens, p.bovengrens, p.prognose, p.gerealiseerd, p.vorige_prognose) if d]
    links = min(alle_datums).replace(month=1, day=1)
    rechts = dt.date(max(alle_datums).year + 1, 1, 1)
    naam_pos = ax.get_yaxis_transform()  # x in axes fractions, y in data: names start at the left edge

    for i, p in enumerate(rijen):
        y = len(rijen) - 1 - i
        kleur = _hex(p.stoplicht.kleur)
        ax.text(0.0, y + 0.28, _kort(p.projectnaam), transform=naam_pos, va="bottom", ha="left",
                fontdict=font, color="#202020",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4, "alpha": 0.85})
        if p.ondergrens and p.bovengrens and p.bovengrens >= p.ondergrens:
            start = mdates.date2num(p.ondergrens)
            breedte = max(mdates.date2num(p.bovengrens) - start, 20)
            ax.barh(y, breedte, left=start, height=0.36, color=kleur, alpha=0.55,
                    edgecolor="#404040", linewidth=0.5)
        datum = p.gerealiseerd or p.prognose
        if datum:
            marker = "*" if p.gerealiseerd else "D"
            ax.plot([mdates.date2num(datum)], [y], marker=marker, markersize=5 if marker == "D" else 8,
                    color=kleur, markeredgecolor="#000000", markeredgewidth=0.6, linestyle="none")
        if p.vorige_prognose and p.prognose and p.vorige_prognose != p.prognose and not p.gerealiseerd:
            ax.annotate("", xy=(mdates.date2num(p.prognose), y), xytext=(mdates.date2num(p.vorige_prognose), y),
                        arrowprops={"arrowstyle": "->", "color": "#404040", "lw": 0.7})
        if not (p.ondergrens or p.prognose or p.gerealiseerd):
            ax.text(0.02, y, "geen datums bekend", transform=naam_pos, va="center", color="#606060",
                    fontdict=font, style="italic")

    ax.axvline(mdates.date2num(peildatum), color="#1F4E79", linewidth=1.0, linestyle="--")
    ax.set_yticks([])
    ax.set_ylim(-0.5, len(rijen) - 0.05)
    ax.set_xlim(mdates.date2num(links), mdates.date2num(rechts))
    jaren = rechts.year - links.year
    ax.xaxis.set_major_locator(mdates.YearLocator(1 if jaren <= 8 else 2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    for label in ax.get_xticklabels():
        label.set_fontsize(7.5)
        label.set_fontfamily("DejaVu Sans")
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)

    legenda: list[Artist] = [Patch(facecolor=_hex(s.kleur), edgecolor="#404040", label=s.label)
               for s in (Stoplicht.OP_PLANNING, Stoplicht.RISICO, Stoplicht.VERTRAAGD, Stoplicht.ONBEKEND,
                         Stoplicht.GEREALISEERD)]
    # Every mark the picture uses, in words: colours, bar, markers, arrow, the dashed line.
    legenda += [
        Patch(facecolor="#C0C0C0", alpha=0.55, edgecolor="#404040", label="IBN-/opleveringsvenster"),
        Line2D([], [], marker="D", color="#808080", markeredgecolor="#000000", linestyle="none", label="prognose"),
        Line2D([], [], marker="*", markersize=8, color="#808080", markeredgecolor="#000000", linestyle="none",
               label="gerealiseerd"),
        Line2D([], [], color="#404040", marker=">", markersize=3, lw=0.7, label="verschuiving sinds vorig kwartaal"),
        Line2D([], [], color="#1F4E79", linestyle="--", label="peildatum"),
    ]
    fig.legend(handles=legenda, loc="lower center", ncol=2, frameon=False, prop={"family": "DejaVu Sans", "size": 7},
               handlelength=1.4, columnspacing=1.0)
    # Room at both sides for the first and last year label, which sit centred on the edges.
    fig.subplots_adjust(left=0.06, right=0.94, top=1 - 0.12 / hoogte_in, bottom=(legenda_in + 0.15) / hoogte_in)

    buf = io.BytesIO()
    # metadata=None entries drop the Software line; PNG has no date unless asked for.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()
