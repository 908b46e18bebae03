"""Runs a template's embedded xlwings Lite code in real Pyodide under Node, offline.

Shared by tests/test_lite_pyodide.py and bench/bench_lite.py. What `scripts/pyodide.sh` installed
(.pyodide/<version>/: the npm `pyodide` package and the PyPI wheels) is turned into what the
runner needs: an index folder with the package's files and a copy of its lockfile pointed at the
PyPI wheels of micropip, packaging and every lockfile package the requirements need (the npm
package ships none of them, and Pyodide's own builds of them have other hashes), and a PEP 691
simple index of the wheel folder served on 127.0.0.1, from which micropip installs whatever the
template's `requirements.txt` lists. One Node process runs all calls of one version.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / ".pyodide"
RUNNER = Path(__file__).resolve().parent / "pyodide_runner.mjs"
#: The Pyodide versions scripts/pyodide.sh installs (the one xlwings Lite ships, the newest).
VERSIES = ("0.27.7", "314.0.8")


def _canoniek(naam: str) -> str:
    return re.sub(r"[-_.]+", "-", naam).lower()


def _wiel_naam(bestand: str) -> tuple[str, str]:
    naam, versie = bestand.split("-")[:2]
    return _canoniek(naam), versie


def pakket_map(versie: str) -> Path:
    return PYODIDE / versie / "node_modules" / "pyodide"


def wielen(versie: str) -> Path:
    return PYODIDE / versie / "wheels"


def aanwezig(versie: str) -> bool:
    return (pakket_map(versie) / "pyodide.mjs").is_file() and any(wielen(versie).glob("micropip-*.whl"))


def bouw_index(versie: str, doel: Path) -> Path:
    """An indexURL folder for `versie`: the npm package's files, the wheels, a patched lockfile."""
    doel.mkdir(parents=True, exist_ok=True)
    for f in pakket_map(versie).iterdir():
        if f.name != "pyodide-lock.json":
            (doel / f.name).symlink_to(f)
    lock = json.loads((pakket_map(versie) / "pyodide-lock.json").read_text(encoding="utf-8"))
    for whl in sorted(wielen(versie).glob("*.whl")):
        naam, wiel_versie = _wiel_naam(whl.name)
        pakket = lock["packages"].get(naam)
        if pakket is None:
            continue  # not in the lockfile: micropip takes it from the simple index
        (doel / whl.name).symlink_to(whl)
        pakket.update(file_name=whl.name, version=wiel_versie,
                      sha256=hashlib.sha256(whl.read_bytes()).hexdigest())
    (doel / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return doel


class _Index(SimpleHTTPRequestHandler):
    """/simple/<name>/ as PEP 691 JSON, /files/<wheel> the wheel itself."""

    map: Path
    basis: str

    def do_GET(self):  # noqa: N802 (http.server's name)
        delen = [d for d in self.path.split("?")[0].split("/") if d]
        if len(delen) == 2 and delen[0] == "simple":
            files = [{"filename": w.name, "url": f"{self.basis}/files/{w.name}",
                      "hashes": {"sha256": hashlib.sha256(w.read_bytes()).hexdigest()}}
                     for w in sorted(self.map.glob("*.whl")) if _wiel_naam(w.name)[0] == _canoniek(delen[1])]
            if not files:
                self.send_error(404)
                return
            body = json.dumps({"meta": {"api-version": "1.1"}, "name": _canoniek(delen[1]),
                               "versions": sorted({_wiel_naam(f["filename"])[1] for f in files}),
                               "files": files}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)
            return
        if len(delen) == 2 and delen[0] == "files" and (self.map / delen[1]).is_file():
            body = (self.map / delen[1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)

    def log_message(self, format, *args):  # noqa: A002 (http.server's name)
        pass


@contextmanager
def wielserver(versie: str):
    """Serve the version's wheel folder on 127.0.0.1; yields micropip's index URL."""
    handler = type("Index", (_Index,), {"map": wielen(versie)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.basis = f"http://127.0.0.1:{server.server_address[1]}"
    draad = threading.Thread(target=server.serve_forever, daemon=True)
    draad.start()
    try:
        yield f"{handler.basis}/simple/{{package_name}}/"
    finally:
        server.shutdown()
        server.server_close()


def draai(versie: str, werkmap: Path, code: dict[str, str], peildatum: str,
          calls: list[tuple[str, Path]], timeout: float = 600) -> dict:
    """Run `calls` ((script name, payload file)) on the Lite `code` in Pyodide `versie` in one
    Node process; the runner's result (versions, timings in ms, actions per call)."""
    werkmap.mkdir(parents=True, exist_ok=True)
    index = werkmap / f"index-{versie}"
    if index.exists():
        shutil.rmtree(index)
    bouw_index(versie, index)
    with wielserver(versie) as simple_url:
        job = {"pyodide_mjs": str(pakket_map(versie) / "pyodide.mjs"), "index_url": f"{index}/",
               "simple_url": simple_url, "main_py": code["main.py"], "requirements": code["requirements.txt"],
               "peildatum": peildatum, "calls": [{"script": s, "payload_file": str(p)} for s, p in calls]}
        job_pad, uit_pad = werkmap / f"job-{versie}.json", werkmap / f"uit-{versie}.json"
        job_pad.write_text(json.dumps(job), encoding="utf-8")
        res = subprocess.run(["node", str(RUNNER), str(job_pad), str(uit_pad)], capture_output=True, text=True,
                             timeout=timeout, cwd=werkmap)
    if res.returncode != 0:
        raise RuntimeError(f"Pyodide {versie} runner failed:\n{res.stderr[-4000:]}")
    return json.loads(uit_pad.read_text(encoding="utf-8"))
