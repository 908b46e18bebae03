"""The layout's promises, checked on the source: no import circle, the add-in and the service
never import each other, the core imports neither, and no module grows past about 500 lines
without saying why at its top.

Imports inside functions count too: a circle broken only by a late import is still a circle a
reader has to keep in mind.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAKKETTEN = ("fiche", "addin", "sync", "pmiek")
MAX_REGELS = 500
#: A module over MAX_REGELS says why in its docstring, in a sentence that starts like this.
REDEN = "Longer than 500 lines"


def _modulenaam(pad: Path) -> str:
    delen = list(pad.relative_to(ROOT).with_suffix("").parts)
    if delen[-1] == "__init__":
        delen.pop()
    return ".".join(delen)


def _modules() -> dict[str, Path]:
    return {_modulenaam(p): p for pakket in PAKKETTEN for p in sorted((ROOT / pakket).rglob("*.py"))}


MODULES = _modules()


def _doel(naam: str) -> str | None:
    """The project module an imported name belongs to (a submodule, or the package that holds it)."""
    while naam:
        if naam in MODULES:
            return naam
        naam = naam.rpartition(".")[0]
    return None


def _imports(module: str, pad: Path) -> set[str]:
    boom = ast.parse(pad.read_text(encoding="utf-8"))
    pakket = module if pad.name == "__init__.py" else module.rpartition(".")[0]
    gevonden: set[str] = set()
    for knoop in ast.walk(boom):
        namen: list[str] = []
        if isinstance(knoop, ast.Import):
            namen = [a.name for a in knoop.names]
        elif isinstance(knoop, ast.ImportFrom):
            basis = knoop.module or ""
            if knoop.level:
                onder = pakket.split(".")[: len(pakket.split(".")) - knoop.level + 1]
                basis = ".".join(onder + ([basis] if basis else []))
            namen = [f"{basis}.{a.name}" for a in knoop.names] + [basis]
        for naam in namen:
            doel = _doel(naam)
            if doel and doel != module:
                gevonden.add(doel)
    return gevonden


GRAAF = {m: _imports(m, p) for m, p in MODULES.items()}


def _pakket(module: str) -> str:
    return module.split(".")[0]


def test_graph_covers_the_tree():
    # A test that walks nothing proves nothing: the packages are there and import each other.
    assert {"fiche.schema", "sync.dienst", "addin", "pmiek.cli"} <= set(MODULES)
    assert "sync.synchronisatie" in GRAAF["sync.dienst"]


def test_no_import_circle():
    # Tarjan's strongly connected components; a component of more than one module is a circle.
    index: dict[str, int] = {}
    laag: dict[str, int] = {}
    stapel: list[str] = []
    op_stapel: set[str] = set()
    cirkels: list[list[str]] = []
    teller = 0

    def bezoek(v: str) -> None:
        nonlocal teller
        index[v] = laag[v] = teller
        teller += 1
        stapel.append(v)
        op_stapel.add(v)
        for w in GRAAF[v]:
            if w not in index:
                bezoek(w)
                laag[v] = min(laag[v], laag[w])
            elif w in op_stapel:
                laag[v] = min(laag[v], index[w])
        if laag[v] == index[v]:
            deel = []
            while True:
                w = stapel.pop()
                op_stapel.discard(w)
                deel.append(w)
                if w == v:
                    break
            if len(deel) > 1:
                cirkels.append(sorted(deel))

    for v in sorted(GRAAF):
        if v not in index:
            bezoek(v)
    # A package __init__ that re-exports its submodules is not a circle a reader follows.
    cirkels = [c for c in cirkels if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert cirkels == []


@pytest.mark.parametrize(("van", "verboden"), [
    ("addin", {"sync", "pmiek"}),
    ("sync", {"addin", "pmiek"}),
    ("fiche", {"addin", "sync", "pmiek"}),
])
def test_package_boundaries(van, verboden):
    fout = sorted(f"{m} -> {d}" for m, doelen in GRAAF.items() if _pakket(m) == van
                  for d in doelen if _pakket(d) in verboden)
    assert fout == []


def test_modules_stay_small_or_say_why():
    te_lang = []
    for module, pad in MODULES.items():
        regels = len(pad.read_text(encoding="utf-8").splitlines())
        docstring = ast.get_docstring(ast.parse(pad.read_text(encoding="utf-8"))) or ""
        if regels > MAX_REGELS and REDEN not in docstring:
            te_lang.append(f"{module}: {regels} lines")
    assert te_lang == []
