"""The xlwings Lite code: generated main.py and requirements.txt, and their place in the workbook.

The embedded main.py is run the way Lite runs it, as far as Linux allows: in a fresh interpreter
that cannot see this repository (the modules must come from main.py itself), where every import
outside the standard library, xlwings and the declared requirements is refused, against the
real xlwings remote engine. Its findings must equal `pmiek validate --json`'s.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402

import addin  # noqa: E402
from addin import controle, lite  # noqa: E402
from addin.payload import payload_uit_bestand  # noqa: E402
from fiche.template import write_fiche  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "workbook_templates" / "examples"
VOORBEELDEN = sorted(EXAMPLES.glob("*.xlsx"))
PEILDATUM = tomllib.loads((EXAMPLES / "projecten.toml").read_text(encoding="utf-8"))["voorbeeld"]["peildatum"]


@pytest.fixture(autouse=True)
def _remote_licence(monkeypatch):
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")


def toegestaan() -> set[str]:
    return set(sys.stdlib_module_names) | set(lite.VEREISTEN) | lite.MEEGELEVERD


def test_main_py_compiles_and_its_script_calls_addin_validate():
    bron = lite.main_py()
    boom = ast.parse(bron)
    compile(bron, "main.py", "exec")
    scripts = {}
    for node in boom.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                kern = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(kern, ast.Name) and kern.id == "script":
                    scripts[node.name] = node
    assert set(scripts) == {"valideer_fiche", "help_pmiek"}
    aanroepen = [ast.unparse(n.func) for n in ast.walk(scripts["valideer_fiche"]) if isinstance(n, ast.Call)]
    assert "addin.validate" in aanroepen
    # Generated from the repository's modules, verbatim: never a hand-made copy.
    for module, (is_pakket, code) in lite.bundel_modules().items():
        pad = ROOT.joinpath(*module.split("."), "__init__.py") if is_pakket else ROOT.joinpath(*module.split(".")).with_suffix(".py")
        assert code == pad.read_text(encoding="utf-8")
        assert repr(code) in bron
    assert {"addin", "addin.werkboek", "addin.kleuren", "addin.controle", "fiche.reader", "fiche.validatie",
            "fiche.schema", "fiche.stoplicht", "fiche.datums", "fiche.model", "fiche.errors"} <= set(lite.bundel_modules())
    # Desktop-only modules stay out of the browser.
    assert not {"addin.lite", "addin.payload", "addin.ribbon", "fiche.template", "fiche.gekleurde_kopie"} \
        & set(lite.bundel_modules())
    # Pyodide has no lxml: not even a function of the bundle may need it.
    assert "lxml" not in lite.externe_imports()["functie"] | lite.externe_imports()["module"]


def test_imports_only_what_pyodide_offers():
    ext = lite.externe_imports()
    # Everything that runs when the bundle is imported: stdlib, xlwings or a declared requirement.
    assert ext["module"] <= toegestaan(), ext["module"] - toegestaan()
    main_imports = {n.split(".")[0] for node in ast.walk(ast.parse(lite.main_py()))
                    for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else
                              [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])}
    assert main_imports - {"addin", "fiche", "__future__"} <= toegestaan()
    # Every requirement besides xlwings (which Lite provides) is pure Python, dependencies included,
    # so micropip can install it in the browser.
    regels = [r for r in lite.requirements_txt().splitlines() if r]
    assert regels[0].startswith("xlwings")
    for regel in regels[1:]:
        naam = re.split(r"[<>=!~ ]", regel)[0]
        te_doen, gezien = [naam], set()
        while te_doen:
            dist = te_doen.pop()
            if dist.lower() in gezien:
                continue
            gezien.add(dist.lower())
            bestanden = [str(f) for f in (md.files(dist) or [])]
            assert bestanden, f"{dist} is not installed here"
            assert not [f for f in bestanden if f.endswith((".so", ".pyd", ".dylib"))], f"{dist} is not pure Python"
            for req in md.requires(dist) or []:
                if "extra ==" not in req:
                    te_doen.append(re.split(r"[<>=!~ ;(\[]", req)[0])


#: What the Lite path must never load: the packages it used to need, and the file readers.
ZWAAR = {"openpyxl", "et_xmlfile", "email_validator", "dns", "idna", "lxml"}
#: Top-level modules a Lite run may load besides the standard library: xlwings, our two packages.
_XLWINGS_EN_EIGEN = {"xlwings", "addin", "fiche"}


def test_the_lite_bundle_imports_no_third_party_module_but_xlwings():
    ext = lite.externe_imports()
    stdlib = set(sys.stdlib_module_names)
    # On import of the bundle: the standard library and xlwings only.
    assert ext["module"] - stdlib <= {"xlwings"}, ext["module"] - stdlib
    # Inside functions: besides those, only the file readers the add-in never calls.
    assert ext["functie"] - stdlib - {"xlwings"} <= lite.ALLEEN_BESTANDEN, ext["functie"] - stdlib
    assert not (ext["module"] | ext["functie"]) & ZWAAR - lite.ALLEEN_BESTANDEN
    # ... and those only in the modules that read files from disk, never in the add-in's own path.
    for module, (is_pakket, bron) in lite.bundel_modules().items():
        derden = {n.split(".")[0] for n, _ in lite._imports(bron, module, is_pakket)} - stdlib - {"addin", "fiche"}
        if module in ("fiche.reader", "fiche.veilig", "fiche.rooster"):
            assert derden <= lite.ALLEEN_BESTANDEN, (module, derden)
        else:
            assert derden <= {"xlwings"}, (module, derden)
    # requirements.txt: only what Lite provides itself.
    assert [r.split(">")[0] for r in lite.requirements_txt().splitlines() if r] == ["xlwings"]
    assert lite.ALLEEN_BESTANDEN.isdisjoint(toegestaan())


KIND = r'''
import importlib.abc, json, os, sys
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
# Lite cannot see this repository: drop the editable install's finder and the checkout itself.
sys.meta_path = [f for f in sys.meta_path if "__editable__" not in type(f).__module__]
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.abspath(ROOT)]
import xlwings as xw

toegestaan = set(json.loads(sys.argv[2]))
geweigerd = []
class Blokkade(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in toegestaan or top in ("addin", "fiche"):
            return None
        geweigerd.append(fullname)
        raise ImportError(f"not available in Pyodide: {fullname}")
sys.meta_path.insert(0, Blokkade())
vooraf = set(sys.modules)  # xlwings and what it brings here; main.py and the runs come on top

ns = {"__name__": "main"}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), "main.py", "exec"), ns)
uit = {}
for pad in sys.argv[4:]:
    book = xw.Book(json=json.load(open(pad, encoding="utf-8")))
    ns["help_pmiek" if pad.endswith(".help.json") else "valideer_fiche"](book)
    uit[pad] = book.json()["actions"]
import addin, fiche.validatie
uit["_herkomst"] = [addin.__file__, fiche.validatie.__file__]
uit["_geweigerd"] = geweigerd
uit["_modules"] = sorted({m.split(".")[0] for m in set(sys.modules) - vooraf})
json.dump(uit, open(sys.argv[3], "w", encoding="utf-8"))
'''


@pytest.mark.subprocess
def test_embedded_main_py_gives_the_cli_findings_on_every_example(tmp_path, monkeypatch):
    assert len(VOORBEELDEN) == 11
    main = tmp_path / "main.py"
    main.write_text(lite.main_py(), encoding="utf-8")
    payloads = []
    for p in VOORBEELDEN:
        doel = tmp_path / (p.stem + ".json")
        doel.write_text(json.dumps(payload_uit_bestand(p)), encoding="utf-8")
        payloads.append(str(doel))
    # A workbook that is no fiche, and Help: both must leave their text in the workbook.
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Boodschappenlijst"
    wb.save(tmp_path / "ander.xlsx")
    geen_fiche = tmp_path / "ander.json"
    geen_fiche.write_text(json.dumps(payload_uit_bestand(tmp_path / "ander.xlsx")), encoding="utf-8")
    hulp = tmp_path / "voorbeeld.help.json"
    hulp.write_text(json.dumps(payload_uit_bestand(VOORBEELDEN[0])), encoding="utf-8")
    kind = tmp_path / "kind.py"
    # The script must judge on the examples' peildatum, like the CLI below: freeze "today".
    kind.write_text(
        "import datetime as _dt\n"
        f"class _D(_dt.date):\n    @classmethod\n    def today(cls): return _dt.date({PEILDATUM.year}, {PEILDATUM.month}, {PEILDATUM.day})\n"
        "_dt.date = _D\n" + KIND.replace("ROOT", repr(str(ROOT))), encoding="utf-8")
    uit = tmp_path / "uit.json"
    res = subprocess.run(
        [sys.executable, str(kind), str(main), json.dumps(sorted(toegestaan())), str(uit), *payloads,
         str(geen_fiche), str(hulp)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    acties = json.loads(uit.read_text(encoding="utf-8"))
    # The modules came out of main.py, not from this checkout.
    assert all(h.startswith("<pmiek>/") for h in acties["_herkomst"]), acties["_herkomst"]
    # Nothing but the standard library and xlwings was loaded, nothing else even tried.
    assert not {m for m in acties["_modules"] if m not in sys.stdlib_module_names} - _XLWINGS_EN_EIGEN, \
        acties["_modules"]
    assert not {g.split(".")[0] for g in acties["_geweigerd"]} & (ZWAAR | lite.ALLEEN_BESTANDEN), acties["_geweigerd"]

    for pad, kop, tekst in ((geen_fiche, controle.KOP_WEIGERING, "geen pMIEK-fiche"),
                            (hulp, controle.KOP_HELP, addin.HELP_TEKST)):
        (schrijf,) = [a for a in acties[str(pad)] if a["func"] == "setValues"]
        assert schrijf["values"][0][0] == kop and tekst in schrijf["values"][2][0], pad.name

    cli = subprocess.run(
        [sys.executable, "-m", "pmiek.cli", "validate", "--json", "--as-of", PEILDATUM.isoformat(),
         *map(str, VOORBEELDEN)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert cli.returncode in (0, 1), cli.stderr
    per_bestand = {Path(f["path"]).stem: f for f in json.loads(cli.stdout)["files"]}
    for p, payload in zip(VOORBEELDEN, payloads):
        fiche = per_bestand[p.stem]
        (schrijf,) = [a for a in acties[payload] if a["func"] == "setValues"]
        rijen = schrijf["values"]
        assert rijen[2][1] == fiche["status"], p.stem
        gekregen = sorted((r[0], r[2].lstrip("'"), r[3]) for r in rijen[controle.KOPRIJ:])
        verwacht = sorted((controle.ERNST_LABEL[f["severity"]], f["message"], controle.link(f["cell"]))
                          for f in fiche["findings"])
        assert gekregen == verwacht, p.stem
        # And the very same actions as the add-in run in-process on the remote engine.
        book = xw.Book(json=json.loads(Path(payload).read_text(encoding="utf-8")))
        addin.validate(book, vandaag=PEILDATUM)
        assert book.json()["actions"] == acties[payload], p.stem


def _template(tmp_path: Path) -> Path:
    return write_fiche(tmp_path / "fiche.xlsx", "concreet", {"projectnaam": "Lite-test"})


def test_injected_parts_are_where_lite_looks(tmp_path):
    pad = lite.injecteer(_template(tmp_path))
    with zipfile.ZipFile(pad) as z:
        namen = set(z.namelist())
        ct = z.read("[Content_Types].xml").decode()
        root_rels = z.read("_rels/.rels").decode()
        webext = z.read(lite.WEBEXT_PAD).decode()
        tp_rels = z.read(lite.TASKPANES_RELS_PAD).decode()
        taskpanes = z.read(lite.TASKPANES_PAD).decode()
    assert {lite.WEBEXT_PAD, lite.TASKPANES_PAD, lite.TASKPANES_RELS_PAD} <= namen
    assert f'<Override PartName="/{lite.WEBEXT_PAD}" ContentType="application/vnd.ms-office.webextension+xml"/>' in ct
    assert (f'<Override PartName="/{lite.TASKPANES_PAD}" '
            'ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/>') in ct
    assert ('Type="http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes" '
            f'Target="{lite.TASKPANES_PAD}"') in root_rels
    assert 'Target="webextension1.xml"' in tp_rels and 'r:id="rId1"' in taskpanes
    assert '<we:reference id="wa200008175"' in webext and 'storeType="OMEX"/>' in webext
    code = lite.lees_lite_code(pad)
    assert code == {"main.py": lite.main_py(), "requirements.txt": lite.requirements_txt()}
    # The raw attribute holds a JSON string literal (quotes included).
    assert re.search(r'name="main.py" value="&quot;', webext)


def test_injection_is_deterministic_and_idempotent(tmp_path):
    pad = _template(tmp_path)
    lite.injecteer(pad)
    eerste = pad.read_bytes()
    lite.injecteer(pad)
    assert pad.read_bytes() == eerste
    with zipfile.ZipFile(pad) as z:
        assert z.read("[Content_Types].xml").decode().count(lite.WEBEXT_PAD) == 1
        assert len([n for n in z.namelist() if n == lite.WEBEXT_PAD]) == 1


def test_injected_workbook_still_a_fiche_and_opens_in_libreoffice(tmp_path, libreoffice):
    import openpyxl

    from fiche.reader import lees_fiche

    pad = lite.injecteer(_template(tmp_path))
    assert lees_fiche(pad).velden["projectnaam"] == "Lite-test"
    assert "Fiche" in openpyxl.load_workbook(pad).sheetnames
    uit = libreoffice.convert(pad, "xlsx", tmp_path / "lo")
    assert uit.stat().st_size > 0


def test_template_build_carries_the_lite_code(tmp_path):
    from pmiek.commands.template import build_templates

    for pad in build_templates(tmp_path):
        assert lite.lees_lite_code(pad) == {"main.py": lite.main_py(), "requirements.txt": lite.requirements_txt()}


def test_committed_templates_carry_a_generated_lite_script():
    # Exact equality with today's code is the job of `python scripts/build_templates.py`; here:
    # the committed files have the part, generated (not hand-written) and calling addin.validate.
    for fiche_type in ("concreet", "verkenning"):
        code = lite.lees_lite_code(ROOT / "workbook_templates" / f"pmiek-fiche-{fiche_type}.xlsx")
        assert code["requirements.txt"] == lite.requirements_txt()
        assert code["main.py"].startswith('"""pMIEK fiche-controle voor xlwings Lite.\n\nGEGENEREERD door addin/lite.py')
        assert "addin.validate(book)" in code["main.py"]
        compile(code["main.py"], "main.py", "exec")
