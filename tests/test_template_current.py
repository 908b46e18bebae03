"""The committed templates under workbook_templates/ are what the current code generates.

Regenerates both templates into a temporary directory with the same pipeline as
`scripts/build_templates.py` and compares them part by part (every zip member, after removing
what may change per run: the docProps timestamps). Fix a failure with
`python scripts/build_templates.py` and commit the result.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from fiche.schema import FICHE_TYPES
from fiche.template import template_bestandsnaam
from pmiek.commands.template import build_templates

COMMITTED = Path(__file__).resolve().parents[1] / "workbook_templates"
_TIMESTAMPS = re.compile(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        result = {name: z.read(name) for name in z.namelist()}
    if "docProps/core.xml" in result:
        result["docProps/core.xml"] = _TIMESTAMPS.sub(rb"<dcterms:\1\2/>", result["docProps/core.xml"])
    return result


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("regenerated")
    build_templates(out)
    return out


@pytest.mark.parametrize("fiche_type", FICHE_TYPES)
def test_committed_template_is_current(regenerated, fiche_type):
    name = template_bestandsnaam(fiche_type)
    committed = COMMITTED / name
    assert committed.exists(), f"{committed} missing: run python scripts/build_templates.py"
    old, new = parts(committed), parts(regenerated / name)
    assert sorted(old) == sorted(new), "zip members differ: run python scripts/build_templates.py"
    stale = [member for member in new if old[member] != new[member]]
    # The xlwings Lite part embeds fiche/ and addin/ code: a change there makes it stale too.
    assert not stale, f"{name}: parts {stale} are stale: run python scripts/build_templates.py and commit"


def test_comparison_notices_a_changed_part(regenerated, tmp_path):
    """The check above can fail: one changed cell in one part is reported."""
    name = template_bestandsnaam("concreet")
    changed = tmp_path / name
    with zipfile.ZipFile(regenerated / name) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"Templateversie", b"Templateversie!", 1)
            dst.writestr(info, data)
    old, new = parts(changed), parts(regenerated / name)
    assert [m for m in new if old[m] != new[m]] == ["xl/worksheets/sheet1.xml"]
    # Timestamps alone do not count as a change.
    core = old["docProps/core.xml"]
    assert b"<dcterms:modified" in core and b"2025-05-06" not in core
