"""The master monitoring workbook: generated from scratch from one portfolio snapshot (`Overzicht`).

The project leader opens this workbook; nobody edits it by hand, every run replaces it. Sheets:
Overzicht (one row per project, with the plusproject flag, open knelpunten, the voorzitter and the
escalation highlighted), WKI (what the next WKI meeting discusses), Plusprojecten, Energieclusters
(a summary per cluster A-D), Lijstprojecten (the grid operators' project lists: shift, derived window,
stoplicht, per source), Mijlpalen, Knelpunten, Projectdetails (toelichting, onderzoeksvraag,
afhankelijkheden, uitvoeringsafspraken), Capaciteit (with totals), Datakwaliteit, Stand uitvraag (the
quarter's uitvraag round per project, module `uitvraag_blad`) and Historie.
Every sheet has a title block (peildatum and generation time) above one or two real Excel tables
with filters, a frozen header row, set column widths, the stoplicht colours as static fills, the
three-traffic-lights icon set on a numeric score column and a print layout.

Everything a project team typed is written as text: a fiche line starting with "=" stays text
and never becomes a formula, and characters XML cannot hold are dropped. Only http(s) links to
a fiche become hyperlinks. The output depends only on the snapshot (the generation time comes
from `overzicht.gegenereerd`, not the clock), so a generated master can be compared part by
part with the committed reference file; only the package timestamps differ between runs.

The figures (plusprojecten, capacity, data quality, clusters, the WKI agenda) are the snapshot's
rules (`sync.overzicht`, `sync.regels`); this package only lays them out, so they match the
quarterly e-mail by construction.

Modules: `cellen` (cell values, styles, tables, title block, print layout, written through
XlsxWriter), `bladen` (ten of the sheets), `lijstbladen` (Lijstprojecten), `uitvraag_blad` (Stand
uitvraag), `werkmap` (the workbook, and writing it atomically), `vingerafdruk` (the snapshot's
fingerprint: a run in which nothing changed leaves the master alone).
"""

from sync.master.bladen import BLADEN
from sync.master.cellen import (
    KOPRIJ,
    Kolom,
    Link,
    Markering,
    veilige_tekst,
    veilige_url,
)
from sync.master.werkmap import MasterWriteError, bouw_master, master_inhoud, schrijf_master

__all__ = [
    "BLADEN", "KOPRIJ", "Kolom", "Link", "Markering", "MasterWriteError", "bouw_master", "master_inhoud",
    "schrijf_master", "veilige_tekst", "veilige_url",
]
