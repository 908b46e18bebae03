// Runs the xlwings Lite code of a fiche template in real Pyodide under Node, offline, the way the
// open xlwings Wasm runtime calls scripts: the book payload (JSON, as the Office.js client sends
// it) becomes `xw.Book(json=...)`, the @script function gets the book, and what it recorded
// (`book.json()["actions"]`) is the answer to Excel. Used by tests/test_lite_pyodide.py and
// bench/bench_lite.py (through tests/pyodide_lite.py, which prepares the job).
//
//   node tests/pyodide_runner.mjs JOB.json RESULT.json
//
// JOB: {pyodide_mjs, index_url, simple_url, main_py, requirements, peildatum, calls: [{script,
// payload_file}]}. RESULT: {versions, timings: {runtime_start, installs, first, calls: [...]},
// results: [{actions} | {error}]}, times in milliseconds; `installs` and `first` count from the
// runtime's start (micropip and the requirements; then main.py's import and the first call).
// Every fetch that is not to the loopback address is refused, so a package that would come from
// a CDN or PyPI fails the run.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [jobPad, uitPad] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPad, "utf-8"));

const echteFetch = globalThis.fetch;
globalThis.fetch = async (bron, ...rest) => {
  const url = new URL(typeof bron === "string" ? bron : bron.url ?? String(bron));
  if (url.protocol !== "file:" && url.hostname !== "127.0.0.1") {
    throw new Error(`offline test: refused to fetch ${url}`);
  }
  return echteFetch(bron, ...rest);
};

const HARNAS = `
import datetime as _dt
import importlib
import json
import os
import sys

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
# Judge on the given peildatum, like \`pmiek validate --as-of\`: freeze "today".
_j, _m, _d = map(int, PEILDATUM.split("-"))


class _D(_dt.date):
    @classmethod
    def today(cls):
        return _dt.date(_j, _m, _d)


_dt.date = _D

# main.py where Lite keeps it: a module in the working directory.
with open("main.py", "w", encoding="utf-8") as _f:
    _f.write(MAIN_PY)
sys.path.insert(0, os.getcwd())


def _roep(script, payload):
    import xlwings as xw

    main = importlib.import_module("main")
    book = xw.Book(json=json.loads(payload))
    getattr(main, script)(book)
    return json.dumps(book.json()["actions"])
`;

const nu = () => performance.now();
const t0 = nu();
const { loadPyodide } = await import(pathToFileURL(job.pyodide_mjs).href);
const pyodide = await loadPyodide({ indexURL: job.index_url, stdout: (s) => process.stderr.write(s + "\n") });
const t1 = nu();

await pyodide.loadPackage("micropip", { messageCallback: () => {} });
const micropip = pyodide.pyimport("micropip");
const vereisten = job.requirements.split("\n").map((r) => r.trim()).filter((r) => r && !r.startsWith("#"));
await micropip.install.callKwargs(vereisten, { index_urls: [job.simple_url] });
const tInstall = nu();
pyodide.globals.set("PEILDATUM", job.peildatum);
pyodide.globals.set("MAIN_PY", job.main_py);
pyodide.runPython(HARNAS);
// xlwings is what Lite itself runs on: timed apart from our own code.
const tHarnas = nu();
pyodide.runPython("import xlwings");
const tXlwings = nu();
const roep = pyodide.globals.get("_roep");

const results = [];
const calls = [];
let first = null;
for (const call of job.calls) {
  const payload = readFileSync(call.payload_file, "utf-8");
  const ts = nu();
  try {
    results.push({ actions: JSON.parse(roep(call.script, payload)) });
  } catch (e) {
    results.push({ error: String(e) });
  }
  const te = nu();
  if (first === null) first = te - t1;
  calls.push(te - ts);
}

const versies = pyodide.runPython(
  "import json, sys, importlib.metadata as md\n" +
  "json.dumps({'pyodide': __import__('pyodide').__version__, 'python': sys.version.split()[0], " +
  "'installed': sorted(f\"{d.metadata['Name']}=={d.version}\" for d in md.distributions())})",
);
writeFileSync(uitPad, JSON.stringify({
  versions: JSON.parse(versies),
  timings: { runtime_start: t1 - t0, installs: tInstall - t1, xlwings_import: tXlwings - tHarnas, first, calls },
  results,
}));
