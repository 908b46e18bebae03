"""Builds the example fiches (demo data) from `workbook_templates/examples/projecten.toml`.

One data file holds the 11 pMIEK 2.0 projects; this script checks every key and choice value
against `fiche.schema` (a typo in the data must fail here, not show up as a finding in the demo)
and writes one filled fiche per project through `fiche.template.write_fiche`. Deterministic: the
same data gives the same workbooks, so the committed examples can be checked to be current.
The data's `[[historie]]` (earlier quarters, which `pmiek demo` writes and syncs first) is
checked here too.

    python scripts/build_examples.py [--data FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fiche import schema as S  # noqa: E402
from fiche.template import write_fiche  # noqa: E402

EXAMPLES = ROOT / "workbook_templates" / "examples"
DATA = EXAMPLES / "projecten.toml"


class DataFout(ValueError):
    """The example data does not fit the schema."""


def _check_value(where: str, kind: str, choices: tuple[str, ...], open_choice: bool, value: Any) -> None:
    if kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise DataFout(f"{where}: expected a TOML date, got {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataFout(f"{where}: expected a number, got {value!r}")
    elif kind == "derived":
        raise DataFout(f"{where}: a derived column is computed by the workbook, not filled in")
    elif not isinstance(value, str):
        raise DataFout(f"{where}: expected text, got {value!r}")
    if kind == "choice" and choices and not open_choice and value not in choices:
        raise DataFout(f"{where}: {value!r} is not one of {list(choices)}")


def check_fiche(entry: dict) -> None:
    """Raise DataFout when a fiche entry uses a key, type or choice the schema does not know."""
    name = entry.get("bestand", "?")
    fiche_type = entry.get("fiche_type")
    if fiche_type not in S.SCHEMAS:
        raise DataFout(f"{name}: unknown fiche_type {fiche_type!r}")
    schema = S.schema_for(fiche_type)
    unknown = set(entry) - {"bestand", "fiche_type", "velden", "tabellen"}
    if unknown:
        raise DataFout(f"{name}: unknown keys {sorted(unknown)}")
    for key, value in entry.get("velden", {}).items():
        if not schema.has_field(key):
            raise DataFout(f"{name}: field {key!r} is not in the {fiche_type} schema")
        f = schema.field(key)
        _check_value(f"{name}.{key}", f.type, f.choices, f.open_choice, value)
    for table_key, rows in entry.get("tabellen", {}).items():
        try:
            table = schema.table(table_key)
        except KeyError:
            raise DataFout(f"{name}: table {table_key!r} is not in the schema") from None
        for i, row in enumerate(rows, start=1):
            for key, value in row.items():
                try:
                    col = table.column(key)
                except KeyError:
                    raise DataFout(f"{name}.{table_key}[{i}]: column {key!r} is not in the schema") from None
                _check_value(f"{name}.{table_key}[{i}].{key}", col.type, col.choices, col.open_choice, value)


def load(data: Path = DATA) -> dict:
    """The example data file, checked against the schema."""
    with data.open("rb") as fh:
        doc = tomllib.load(fh)
    fiches = doc.get("fiche", [])
    names = [f.get("bestand") for f in fiches]
    if len(set(names)) != len(names):
        raise DataFout(f"duplicate 'bestand' names in {data}")
    for entry in fiches:
        check_fiche(entry)
    check_historie(doc)
    return doc


def check_historie(doc: dict) -> None:
    """The `[[historie]]` quarters the demo syncs first: known fiches and fields, dates before
    the examples' peildatum, and every earlier version fitting the schema as the demo writes it."""
    from pmiek.commands.demo import historie

    names = {f.get("bestand") for f in doc.get("fiche", [])}
    peildatum = doc.get("voorbeeld", {}).get("peildatum")
    for i, h in enumerate(doc.get("historie", []), start=1):
        dag = h.get("peildatum")
        if not isinstance(dag, dt.date) or isinstance(dag, dt.datetime):
            raise DataFout(f"historie[{i}]: peildatum must be a TOML date, got {dag!r}")
        if isinstance(peildatum, dt.date) and dag >= peildatum:
            raise DataFout(f"historie[{i}]: peildatum {dag} is not before the examples' peildatum {peildatum}")
        unknown = set(h) - {"peildatum", "ontbreekt", "velden"}
        if unknown:
            raise DataFout(f"historie[{i}]: unknown keys {sorted(unknown)}")
        for name in list(h.get("ontbreekt", [])) + list(h.get("velden", {})):
            if name not in names:
                raise DataFout(f"historie[{i}]: {name!r} is not an example fiche")
    for _, entries in historie(doc):
        for entry in entries:
            check_fiche(entry)


def build(out: Path = EXAMPLES, data: Path = DATA) -> list[Path]:
    """Write every example fiche into `out`; returns the written paths in data order."""
    doc = load(data)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in doc["fiche"]:
        path = out / f"{entry['bestand']}.xlsx"
        write_fiche(path, entry["fiche_type"], entry.get("velden", {}), entry.get("tabellen", {}))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the example fiches from the one data file.")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=EXAMPLES)
    args = parser.parse_args(argv)
    try:
        written = build(args.out, args.data)
    except DataFout as exc:
        print(f"example data error: {exc}", file=sys.stderr)
        return 1
    stale = sorted(set(args.out.glob("*.xlsx")) - set(written))
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    if stale:
        print("not in the data file (remove them?): " + ", ".join(p.name for p in stale), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
