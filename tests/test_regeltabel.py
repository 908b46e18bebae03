"""The rule-code table in docs/fiche-en-validatie.md is the validator's `KNOWN_CODES`, word for word.

A rule added, removed, given another severity or another description in `fiche/validatie.py`
fails here until the docs say the same. To rewrite the table from the code:

    python tests/test_regeltabel.py --schrijf
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # also when run as a script to rewrite the table

DOC = ROOT / "docs" / "fiche-en-validatie.md"
BEGIN = "<!-- regeltabel: begin (generated from fiche.validatie.KNOWN_CODES; tests/test_regeltabel.py) -->"
EINDE = "<!-- regeltabel: end -->"


def regeltabel() -> str:
    """The table as the docs must show it: one row per code, in the order of `KNOWN_CODES`."""
    from fiche.validatie import KNOWN_CODES
    rijen = ["| code | severity | what it checks |", "|---|---|---|"]
    for code, (ernst, tekst) in KNOWN_CODES.items():
        tekst = tekst.replace("|", "\\|")  # a pipe would end the cell
        rijen.append(f"| `{code}` | {ernst} | {tekst} |")
    return "\n".join(rijen)


def _delen(tekst: str) -> tuple[str, str, str]:
    assert tekst.count(BEGIN) == 1 and tekst.count(EINDE) == 1, f"{DOC.name}: the table markers are missing"
    voor, rest = tekst.split(BEGIN)
    tabel, na = rest.split(EINDE)
    return voor, tabel.strip("\n"), na


def test_rule_table_in_the_docs_matches_the_code() -> None:
    _, tabel, _ = _delen(DOC.read_text(encoding="utf-8"))
    verwacht = regeltabel()
    assert tabel == verwacht, (
        f"{DOC.relative_to(ROOT)} is out of date with fiche.validatie.KNOWN_CODES; "
        f"run `python tests/test_regeltabel.py --schrijf`. Expected:\n{verwacht}")


def test_every_code_in_the_table_is_a_rule() -> None:
    _, tabel, _ = _delen(DOC.read_text(encoding="utf-8"))
    from fiche.validatie import KNOWN_CODES
    codes = [r.split("`")[1] for r in tabel.splitlines()[2:]]
    assert codes == list(KNOWN_CODES)


if __name__ == "__main__":
    if sys.argv[1:] != ["--schrijf"]:
        sys.exit("gebruik: python tests/test_regeltabel.py --schrijf")
    voor, _, na = _delen(DOC.read_text(encoding="utf-8"))
    DOC.write_text(f"{voor}{BEGIN}\n{regeltabel()}\n{EINDE}{na}", encoding="utf-8")
    print(f"{DOC.relative_to(ROOT)}: {len(regeltabel().splitlines()) - 2} rules")
