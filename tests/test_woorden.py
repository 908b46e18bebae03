"""Dutch wording users see: the seed's typo corrected in labels (old fiches still read), one
spelling of "Uren per week" as a heading, and the Dutch month abbreviations in the e-mail."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from sample_overzicht import sample_overzicht

from fiche import schema as S
from fiche.reader import lees_fiche
from fiche.template import write_fiche
from sync.kwartaal.bericht import bouw_bericht
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png

VOORBEELDEN = Path(__file__).resolve().parents[1] / "workbook_templates" / "examples"


def test_reden_opname_is_spelled_right_and_keeps_its_defined_name(tmp_path):
    veld = S.schema_for("concreet").field("rede_opname")
    assert veld.label == "Reden opname/afweging"
    assert veld.name == "pmiek_rede_opname"  # fiches made before the correction still read
    nieuw = write_fiche(tmp_path / "n.xlsx", "concreet", {"projectnaam": "N", "rede_opname": "Omdat."})
    assert lees_fiche(nieuw).velden["rede_opname"] == "Omdat."
    # A fiche made before the correction (the label cell says "Rede opname/afweging") reads the same.
    oud = tmp_path / "oud.xlsx"
    with zipfile.ZipFile(nieuw) as bron, zipfile.ZipFile(oud, "w", zipfile.ZIP_DEFLATED) as doel:
        gevonden = False
        for info in bron.infolist():
            inhoud = bron.read(info.filename)
            if b"Reden opname/afweging" in inhoud:
                gevonden = True
                inhoud = inhoud.replace(b"Reden opname/afweging", b"Rede opname/afweging")
            doel.writestr(info, inhoud)
    assert gevonden
    assert lees_fiche(oud).velden["rede_opname"] == "Omdat."
    assert lees_fiche(VOORBEELDEN / "01-deelnet-emmen-noord.xlsx").velden["rede_opname"].startswith("Voorbeelddata.")


def test_labels_and_help_say_uren_per_week_and_ibn_in_capitals():
    for fiche_type in ("concreet", "verkenning"):
        schema = S.schema_for(fiche_type)
        teksten = [f.label for f in schema.fields] + [f.help for f in schema.fields]
        teksten += [c.label for t in schema.tables for c in t.columns]
        for tekst in teksten:
            assert "Rede " not in tekst and "Uur per week" not in tekst
            assert re.search(r"\bibn\b", tekst, re.IGNORECASE) is None or "IBN" in tekst
            assert re.search(r"\bibn\b", tekst) is None


def test_email_headings_and_short_dates():
    rapport = bouw_rapport(sample_overzicht())
    bericht = bouw_bericht(rapport, tijdlijn_png(rapport.projecten, rapport.peildatum), b"",
                           afzender="pmiek@drenthe.nl", ontvangers=["energy-board@drenthe.nl"])
    html = bericht.get_body(("html",)).get_content()
    assert "Uur per week" not in html and "Uren per week" in html
    assert " maa " not in html
    # The plusprojecten cards write windows and prognoses short: March is "mrt".
    assert " mrt " in html


def test_mijlpalen_subtitle_in_the_master_is_a_sentence_that_says_the_rule():
    import io

    from openpyxl import load_workbook

    from sync.master import master_inhoud
    wb = load_workbook(io.BytesIO(master_inhoud(sample_overzicht())), read_only=True)
    teksten = [str(c) for rij in wb["Mijlpalen"].iter_rows(max_row=4, values_only=True) for c in rij if c]
    (uitleg,) = [t for t in teksten if t.startswith("Alle mijlpalen")]
    assert "verschoven op de ondergrens" not in uitleg
    assert "opgeteld bij de ondergrens van het IBN- of opleveringsvenster" in uitleg
