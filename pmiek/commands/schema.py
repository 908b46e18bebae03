"""`pmiek schema`: print the fiche schema (the contract of both fiche types)."""

from __future__ import annotations

import json

from fiche.schema import SCHEMA_VERSION, SCHEMAS, schema_dict


def register(sub) -> None:
    p = sub.add_parser("schema", help="toon het fiche-schema (velden, tabellen, keuzelijsten)")
    p.add_argument("--json", action="store_true", help="machineleesbaar als JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.json:
        print(json.dumps(schema_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"pMIEK fiche-schema versie {SCHEMA_VERSION}")
    for name, s in SCHEMAS.items():
        print(f"\n{s.title} ({name})")
        for f in s.fields:
            print(f"  {f.key:<36} {f.label}{' *' if f.required else ''}")
        for t in s.tables:
            print(f"  tabel {t.name}: " + ", ".join(c.key for c in t.columns))
    return 0
