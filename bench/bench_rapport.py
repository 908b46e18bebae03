"""Benchmark: the quarterly e-mail at 100 and at 1,000 projects, side by side (issue 11).

The e-mail must not grow with the portfolio: counts cover every project, but each section details
at most `sync.kwartaal.inhoud.MAX_DETAILS` items and the timeline only what is detailed. This
measures, for each portfolio size, in a fresh worker process:

- the snapshot: `tests/sample_overzicht.groot_overzicht(n)` (the sample's ten projects in turn,
  each copy its own project with history and data-quality findings), frozen to JSON and read back
  as the service does before sending (not timed);
- the report: content (`bouw_rapport`), timeline picture (`tijdlijn_png`) and MIME message
  (`bouw_bericht`), the three steps of `Rapportage.bericht`, without the master workbook (the
  attachment lists every project by design, so it is left out of both size and time);
- the size of the message without the attachment, the HTML and the picture alone;
- peak memory of the worker (VmHWM).

Time is the best of `--rounds` runs (after one warm-up, so font and import caches are equal).

    .venv/bin/python bench/bench_rapport.py [--sizes 100 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import sys
import time
from pathlib import Path

from geheugen import peak_rss_bytes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def meet(n: int, rondes: int) -> dict:
    import datetime as dt

    from sample_overzicht import groot_overzicht

    from sync.kwartaal.bericht import bouw_bericht, onderdelen
    from sync.kwartaal.inhoud import bouw_rapport
    from sync.kwartaal.rapportage import overzicht_naar_json, overzicht_van_json
    from sync.kwartaal.tijdlijn import tijdlijn_png

    overzicht = overzicht_van_json(overzicht_naar_json(groot_overzicht(n)))
    datum = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.timezone.utc)

    def rapport() -> tuple[bytes, int, int]:
        r = bouw_rapport(overzicht)
        png = tijdlijn_png(r.projecten, r.peildatum)
        msg = bouw_bericht(r, png, b"", afzender="pmiek@drenthe.nl", ontvangers=["energy-board@drenthe.nl"],
                           message_id="<bench@drenthe.nl>", datum=datum)
        return msg.as_bytes(), len(onderdelen(msg)["html"] or ""), len(png)

    rapport()  # warm-up
    tijden = []
    for _ in range(rondes):
        t0 = time.perf_counter()
        data, html_lengte, png_lengte = rapport()
        tijden.append(time.perf_counter() - t0)
    return {"n": n, "seconden": min(tijden), "bericht": len(data), "html": html_lengte, "png": png_lengte,
            "piek": peak_rss_bytes()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="portfolio sizes (default 100 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per size, best counts (default 3)")
    args = parser.parse_args()

    # A fresh process per size: peak memory is that size's own, not the largest so far.
    ctx = multiprocessing.get_context("spawn")
    uitslagen = []
    for n in args.sizes:
        with ctx.Pool(1) as pool:
            uitslagen.append(pool.apply(meet, (n, args.rounds)))

    print(f"Quarterly e-mail without the master attachment ({platform.python_implementation()} "
          f"{platform.python_version()}, best of {args.rounds})")
    print(f"{'projects':>9} {'seconds':>8} {'x first':>8} {'e-mail kB':>10} {'HTML kB':>8} {'picture kB':>11} "
          f"{'peak MB':>8}")
    eerste = uitslagen[0]["seconden"]
    for m in uitslagen:
        print(f"{m['n']:>9} {m['seconden']:>8.2f} {m['seconden'] / eerste:>7.2f}x {m['bericht'] / 1000:>10.0f} "
              f"{m['html'] / 1000:>8.0f} {m['png'] / 1000:>11.0f} {m['piek'] / 1e6:>8.0f}")


if __name__ == "__main__":
    main()
