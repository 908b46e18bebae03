"""The desktop ribbon add-in addin/pmiek.xlam and the Python entry points its buttons call.

Excel itself is not on Linux: these tests check everything up to it. The committed .xlam is what
scripts/build_addin.py builds from xlwings' own ribbon add-in; its ribbon has the four buttons;
every button's VBA callback exists in the VBA source Excel recompiles, and runs RunPython on an
`addin.ribbon` function that exists; the compound file reads back with olefile; the "Nieuwe
fiche" function writes a real fiche with the xlwings Lite code.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest

import addin.ribbon as ribbon
from addin import lite
from fiche.reader import lees_fiche
from fiche.validatie import valideer

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "addin" / "pmiek.xlam"
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_addin", ROOT / "scripts" / "build_addin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def xlam():
    with zipfile.ZipFile(XLAM) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.subprocess
def test_committed_xlam_is_the_build_output(build, tmp_path):
    vers = build.build(tmp_path / "pmiek.xlam")
    assert vers.read_bytes() == XLAM.read_bytes(), "run scripts/build_addin.py and commit addin/pmiek.xlam"


def test_ribbon_tab_with_four_buttons(xlam):
    root = ET.fromstring(xlam["customUI/customUI.xml"])
    (tab,) = root.iter(f"{CUI}tab")
    assert tab.get("label") == "pMIEK"
    labels = [b.get("label") for b in tab.iter(f"{CUI}button")]
    assert labels == ["Valideer fiche", "Nieuwe fiche (concreet)", "Nieuwe fiche (verkenning)", "Help"]
    assert b"customUI/customUI.xml" in xlam["_rels/.rels"]


def test_every_button_runs_an_existing_python_entry_point(build, xlam):
    streams, _ = build.read_cfb(xlam["xl/vbaProject.bin"])
    bron = build.vba_source(streams, build.RIBBON_MODULE)
    subs = dict(re.findall(r'Sub (\w+)\(control As IRibbonControl\)\s*\r\n(?:\s*\'.*\r\n)?\s*RunPython "([^"]+)"', bron))
    root = ET.fromstring(xlam["customUI/customUI.xml"])
    for knop in root.iter(f"{CUI}button"):
        module, callback = knop.get("onAction").split(".")
        assert module == build.RIBBON_MODULE
        commando = subs[callback]
        imp, call = [s.strip() for s in commando.split(";")]
        assert imp == "import addin.ribbon"
        node = ast.parse(call, mode="eval").body
        assert isinstance(node, ast.Call) and ast.unparse(node.func).startswith("addin.ribbon.")
        functie = getattr(ribbon, node.func.attr)
        args = [ast.literal_eval(a) for a in node.args]
        inspect.signature(functie).bind(*args)
        if args:
            assert args[0] in ("concreet", "verkenning")


@pytest.mark.subprocess
def test_vba_project_reads_back_and_is_marked_for_recompilation(build, xlam, tmp_path):
    data = xlam["xl/vbaProject.bin"]
    assert olefile.isOleFile(io.BytesIO(data))
    streams, _ = build.read_cfb(data)
    with zipfile.ZipFile(io.BytesIO(build.quickstart_xlam(tmp_path))) as z:
        origineel, _ = build.read_cfb(z.read("xl/vbaProject.bin"))
    gewijzigd = {f"VBA/{build.RIBBON_MODULE}", "VBA/xlwings", "VBA/_VBA_PROJECT"}
    assert set(streams) == set(origineel)
    assert {k: v for k, v in streams.items() if k not in gewijzigd} == {
        k: v for k, v in origineel.items() if k not in gewijzigd}
    # _VBA_PROJECT: reserved 0x61CC, version 0xFFFF = cached p-code is stale, compile from source.
    assert streams["VBA/_VBA_PROJECT"][:4] == b"\xcc\x61\xff\xff"
    xlwings_vba = build.vba_source(streams, "xlwings")
    assert 'Public Const PROJECT_NAME As String = "pmiek"' in xlwings_vba
    assert "Public Function RunPython(PythonCommand As String)" in xlwings_vba
    # Every other module's source is still there.
    for module in ("ThisWorkbook", "Sheet2", "Dictionary"):
        assert build.vba_source(streams, module).startswith("Attribute VB_Name")


def test_ovba_compression_round_trips(build):
    tekst = build.ribbon_vba().encode("cp1252") * 40
    assert build.decompress(build.compress(tekst)) == tekst
    assert len(build.compress(tekst)) < len(tekst) // 4


def test_cfb_writer_round_trips_through_olefile(build):
    streams = {"A": b"x" * 10, "S/B": b"y" * 5000, "S/T/C": b"", "S/D": bytes(range(256)) * 30}
    terug, _ = build.read_cfb(build.write_cfb(streams))
    assert terug == streams


def test_nieuwe_fiche_writes_a_template_with_the_lite_code(tmp_path):
    for fiche_type in ("concreet", "verkenning"):
        pad = ribbon.maak_nieuwe_fiche(fiche_type, tmp_path)
        tweede = ribbon.maak_nieuwe_fiche(fiche_type, tmp_path)
        assert pad != tweede and pad.exists() and tweede.exists()
        data = lees_fiche(pad)
        assert data.fiche_type == fiche_type
        assert {f.code for f in valideer(data).bevindingen} >= {"verplicht"}  # empty: required fields
        assert lite.lees_lite_code(pad)["main.py"] == lite.main_py()
