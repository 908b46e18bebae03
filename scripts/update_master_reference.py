"""Regenerates tests/reference/master_reference.xlsx from the sample snapshot.

Run after an intended change to the master workbook's layout (or to tests/sample_overzicht.py),
look at the result in Excel or LibreOffice, and commit both:

    python scripts/update_master_reference.py

tests/test_master.py compares a freshly generated master with this file part by part.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "master_reference.xlsx"


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from sample_overzicht import sample_overzicht  # noqa: E402 (tests/ is not a package)

    from sync.master import schrijf_master

    schrijf_master(sample_overzicht(), REFERENCE)
    print(f"reference written: {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
