"""Importing the grid operators' project lists (issue 10): real .xlsx files written by openpyxl
and real .csv files in two operator layouts, into a real store (SQLite and PostgreSQL); the CLI
in-process."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from fiche.errors import FileRefused, InputError
from pmiek.cli import main
from sync.config import config_uit_dict
from sync.lijsten.lezen import lees_lijst
from sync.lijsten.map import lees_naam
from sync.lijsten.opslag import importeer
from sync.lijsten.tabellen import lijst_imports, lijst_rijen
from sync.store import Store, open_store

ENEXIS_KOP = ["Projectnummer", "Projectnaam", "Gemeente", "Spanningsniveau", "Verwachte ingebruikname"]


def xlsx(rijen: list[list], notitie: str | None = "Voorbeelddata (fictief)") -> bytes:
    wb = Workbook()
    ws = wb.active
    if notitie:
        ws.append([notitie])
    for r in rijen:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_tekst(kop: list[str], rijen: list[list], sep: str = ";") -> bytes:
    regels = [sep.join(kop)] + [sep.join("" if v is None else str(v) for v in r) for r in rijen]
    return ("\n".join(regels) + "\n").encode("cp1252")


@pytest.fixture
def store(store_url) -> Store:
    """A fresh store on each backend (SQLite, and PostgreSQL when the machine has it)."""
    s = open_store(store_url)
    yield s
    s.close()


def tel(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(lijst_imports)),
                conn.scalar(select(func.count()).select_from(lijst_rijen)))


def test_enexis_xlsx_layout_with_a_note_row_and_dates_years_quarters():
    data = xlsx([ENEXIS_KOP,
                 ["ENX-001", "Station Emmen Noord", "Emmen", "110/20 kV", dt.datetime(2031, 3, 1)],
                 ["ENX-002", "Verzwaring Beilen", "Midden-Drenthe", "20 kV", 2030],
                 ["ENX-003", "Station Zeijerveen", "Assen", "110/20 kV", "Q3 2032"],
                 [1004.0, "Kabel Hoogeveen", "Hoogeveen", "10 kV", "2033"]])
    r = lees_lijst(data, "ip_Enexis_IP2024.xlsx")
    rijen = r.rijen.set_index("code")
    assert list(rijen.index) == ["ENX-001", "ENX-002", "ENX-003", "1004"]
    assert rijen.loc["ENX-001", "ibn"] == dt.date(2031, 3, 1)
    assert rijen.loc["ENX-002", "ibn"] == dt.date(2030, 12, 31)  # a year: its last day
    assert rijen.loc["ENX-003", "ibn"] == dt.date(2032, 9, 30)  # a quarter: its last day
    assert rijen.loc["1004", "ibn"] == dt.date(2033, 12, 31)
    assert list(rijen["rij"]) == [3, 4, 5, 6]  # Excel's row numbers: note row, header, then data
    assert r.fouten == []


@pytest.mark.parametrize("sep", [";", ","])
def test_tennet_csv_layout_either_separator_any_header_case(sep):
    kop = ["project id", "NAAM", "Locatie ", "IBN (jaar)", "Fase"]
    data = csv_tekst(kop, [["TEN-10", "Station Meppel", "Meppel", 2029, "Realisatiefase"],
                           ["TEN-11", "Kabel Coevorden – Dalen", "Dalen", 2031, "Planuitwerkfase"]], sep)
    r = lees_lijst(data, "lijst.csv")
    assert r.rijen[["code", "naam", "gemeente", "status"]].values.tolist() == [
        ["TEN-10", "Station Meppel", "Meppel", "Realisatiefase"],
        ["TEN-11", "Kabel Coevorden – Dalen", "Dalen", "Planuitwerkfase"]]
    assert list(r.rijen["ibn"]) == [dt.date(2029, 12, 31), dt.date(2031, 12, 31)]


def test_unknown_layout_names_found_and_needed_columns():
    data = xlsx([["Kenmerk x", "Omschrijving", "Wanneer"], ["a", "b", "c"]], notitie=None)
    with pytest.raises(InputError) as e:
        lees_lijst(data, "raar.xlsx")
    assert "onbekende indeling" in e.value.melding
    assert "'Kenmerk x', 'Omschrijving', 'Wanneer'" in e.value.melding
    assert "projectcode of projectnaam" in e.value.melding and "geplande IBN" in e.value.melding


def test_config_mapping_reads_an_odd_layout(tmp_path):
    config = config_uit_dict({"source": {"path": str(tmp_path)},
                              "lijsten": {"kolommen": {"RENDO": {"code": "Proj.nr.", "ibn": "Klaar (verwacht)"}}}},
                             tmp_path)
    data = csv_tekst(["Proj.nr.", "Titel", "Klaar (verwacht)"], [["R-1", "Station Hoogeveen", "2030"]])
    r = lees_lijst(data, "rendo.csv", config.lijsten.mapping("rendo"))
    assert r.rijen[["code", "naam", "ibn"]].values.tolist() == [["R-1", "Station Hoogeveen", dt.date(2030, 12, 31)]]


def test_bad_config_mapping_names_the_key(tmp_path):
    with pytest.raises(Exception) as e:
        config_uit_dict({"source": {"path": str(tmp_path)}, "lijsten": {"kolommen": {"Enexis": {"datum": "X"}}}},
                        tmp_path)
    assert "lijsten.kolommen.Enexis.datum" in e.value.melding


def test_broken_rows_are_reported_by_row_number_and_the_rest_imported(store):
    data = xlsx([ENEXIS_KOP,
                 ["ENX-001", "Station A", "Emmen", "110 kV", 2031],
                 [None, None, "Assen", "20 kV", 2030],  # row 4: no code, no name
                 ["ENX-003", "Station C", "Assen", "20 kV", "ooit"],  # row 5: no date
                 ["ENX-001", "Station A bis", "Emmen", "110 kV", 2032],  # row 6: duplicate code
                 ["ENX-005", "Station E", "Tynaarlo", "20 kV", "31-12-2029"],
                 [None, None, None, None, None],  # row 8: empty, not reported
                 [None, None, None, None, "nooit"]])  # row 9: only a date, no code or name
    r = importeer(store, data, "enexis.xlsx", "ip", "Enexis", "IP2024", dt.date(2024, 6, 30))
    assert r.status == "geimporteerd" and r.rijen == 3
    assert [f.rij for f in r.fouten] == [4, 5, 6, 9]
    assert "Rij 5: geplande IBN 'ooit'" in r.fouten[1].melding and "zonder datum" in r.fouten[1].melding
    assert "staat al op rij 3" in r.fouten[2].melding
    assert tel(store) == (1, 3)


def test_same_file_twice_changes_nothing(store):
    data = xlsx([ENEXIS_KOP, ["ENX-001", "Station A", "Emmen", "110 kV", 2031]])
    eerst = importeer(store, data, "a.xlsx", "ip", "enexis", "IP2024", dt.date(2024, 6, 30))
    dan = importeer(store, data, "kopie.xlsx", "ip", "Enexis", "IP2024", dt.date(2024, 7, 1))
    assert (eerst.status, dan.status, dan.import_id) == ("geimporteerd", "ongewijzigd", eerst.import_id)
    assert tel(store) == (1, 1)
    with store.engine.connect() as conn:
        assert conn.scalar(select(lijst_imports.c.bron)) == "Enexis"  # the usual spelling


@pytest.mark.parametrize("inhoud, naam", [(b"", "leeg.xlsx"), (b"PK\x03\x04 kapot", "kapot.xlsx"),
                                           (b"\x00\x01\x02binair", "lijst.csv")])
def test_an_unreadable_file_imports_nothing(store, inhoud, naam):
    with pytest.raises(FileRefused) as e:
        importeer(store, inhoud, naam, "ip", "Enexis", "IP2024", dt.date(2024, 6, 30))
    assert e.value.melding and "Traceback" not in e.value.melding
    assert tel(store) == (0, 0)


def test_cli_exit_codes(tmp_path, capsys):
    goed = tmp_path / "goed.xlsx"
    goed.write_bytes(xlsx([ENEXIS_KOP, ["ENX-001", "Station A", "Emmen", "110 kV", 2031]]))
    fout = tmp_path / "fout.csv"
    fout.write_bytes(csv_tekst(["Project ID", "Naam", "IBN"], [["T-1", "Kabel", "2030"], ["", "", "2031"]]))
    raar = tmp_path / "raar.csv"
    raar.write_bytes(csv_tekst(["a", "b"], [["1", "2"]]))
    db = tmp_path / "pmiek.sqlite"
    basis = ["--store", str(db), "--kind", "ip", "--source", "Enexis", "--edition", "IP2026"]
    assert main(["import-lijst", str(goed), *basis, "--as-of", "30-6-2026"]) == 0
    assert "1 projecten" in capsys.readouterr().out
    assert main(["import-lijst", str(goed), *basis]) == 0
    assert "niets gewijzigd" in capsys.readouterr().out
    # The Dutch spellings work too; a broken row: imported with a remark, exit 1.
    assert main(["import-lijst", str(fout), "--store", str(db), "--soort", "ip", "--bron", "TenneT",
                 "--editie", "IP2026", "--peildatum", "2026-06-30"]) == 1
    assert "Rij 3: geen projectcode en geen projectnaam" in capsys.readouterr().out
    assert main(["import-lijst", str(raar), *basis]) == 2
    assert "onbekende indeling" in capsys.readouterr().err
    assert main(["import-lijst", str(tmp_path / "weg.xlsx"), *basis]) == 2
    assert main(["import-lijst", str(goed), "--store", str(db), "--kind", "ip"]) == 2
    assert "--source ontbreekt" in capsys.readouterr().err
    s = open_store(f"sqlite:///{db}")
    try:
        assert tel(s) == (2, 2)
    finally:
        s.close()


def test_file_name_convention_of_the_lists_folder():
    n = lees_naam("ip_Enexis_IP2026_2026-03-31_voorbeeld.xlsx")
    assert (n.soort, n.bron, n.editie, n.peildatum) == ("ip", "Enexis", "IP2026", dt.date(2026, 3, 31))
    n = lees_naam("ms-t_Emmen_MST2026.csv")
    assert (n.soort, n.bron, n.editie, n.peildatum) == ("ms-t", "Emmen", "MST2026", None)
    assert lees_naam("projectenlijst.xlsx") is None and lees_naam("xx_Enexis_IP2026.xlsx") is None


def test_a_5000_row_list_imports_in_seconds(store):
    import time
    rijen = [[f"ENX-{i:05d}", f"Project {i}", "Emmen", "20 kV", 2028 + i % 8] for i in range(5000)]
    data = xlsx([ENEXIS_KOP, *rijen])
    start = time.perf_counter()
    r = importeer(store, data, "groot.xlsx", "ip", "Enexis", "IP2026", dt.date(2026, 6, 30))
    duur = time.perf_counter() - start
    assert r.rijen == 5000 and tel(store) == (1, 5000)
    assert duur < 10, duur  # measured about 0.5 s; see bench/bench_lijsten.py
