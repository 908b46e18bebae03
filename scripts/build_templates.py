#!/usr/bin/env python3
"""Regenerate the committed fiche templates under workbook_templates/.

Run `python scripts/build_templates.py` after changing the schema or the template layout and
commit the result; tests/test_template_current.py fails while the committed files are stale.
Each template is written by `fiche.template.write_template`, then passed through
`pmiek.commands.template.postprocess` (the optional post-processing step, e.g. injecting the
xlwings Lite part) and made deterministic; `pmiek template --out DIR` runs the same pipeline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pmiek.commands.template import build_templates

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO / "workbook_templates"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TEMPLATE_DIR, help="target directory (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in build_templates(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
