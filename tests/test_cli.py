"""The `pmiek` command line itself: Dutch usage errors, exit codes, a closed pipe."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pmiek.cli import EXIT_USAGE, main


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], "deze argumenten ontbreken: OPDRACHT"),
        (["validate"], "deze argumenten ontbreken: FILE"),
        (["schema", "--bogus"], "onbekende argumenten: --bogus"),
        (["nonsense"], "ongeldige keuze: 'nonsense'"),
    ],
)
def test_usage_errors_are_dutch_and_exit_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert expected in err
    assert "gebruik: pmiek" in err
    assert "error:" not in err and "usage:" not in err


def test_help_is_dutch(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "toon deze hulp en stop" in out and "opdrachten" in out
    assert "show this help" not in out


def test_schema_json_has_the_contract_keys(capsys):
    assert main(["schema", "--json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    concreet = schema["fiche_types"]["concreet"]
    keys = {f["key"] for f in concreet["fields"]}
    assert {"projectnaam", "gemeente", "drager", "fase_netbeheerder", "fase_overheid",
            "ibn_ondergrens", "ibn_bovengrens", "ibn_prognose"} <= keys
    verkenning = {f["key"] for f in schema["fiche_types"]["verkenning"]["fields"]}
    assert {"oplevering_ondergrens", "oplevering_bovengrens", "oplevering_prognose", "onderzoeksvraag"} <= verkenning
    for field in concreet["fields"]:
        assert set(field) >= {"key", "label", "help", "type", "required", "name", "choices"}
        assert field["name"] == "pmiek_" + field["key"]
    tables = {t["key"]: t for t in concreet["tables"]}
    assert {"mijlpaal", "gepland", "prognose", "gereed"} <= {c["key"] for c in tables["mijlpalen"]["columns"]}
    assert {"knelpunt", "oplossing"} <= {c["key"] for c in tables["knelpunten"]["columns"]}
    assert {"naam", "organisatie", "rol", "email"} <= {c["key"] for c in tables["projectteam"]["columns"]}
    assert tables["mijlpalen"]["name"] == "tbl_mijlpalen"


@pytest.mark.subprocess
def test_a_closed_pipe_is_no_traceback():
    # As in `pmiek schema | head -1`: whoever reads our output has already gone.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmiek.cli", "schema", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


#: The flags renamed to English (naming rule, docs/ontwikkelaars.md): old spelling -> new spelling.
OUDE_SPELLINGEN = [
    (["sync", "--geen-voortgang"], ["sync", "--no-progress"], "geen_voortgang", True),
    (["sync", "--lege-bron-toestaan"], ["sync", "--allow-empty-source"], "lege_bron_toestaan", True),
    (["status", "--store", "s.sqlite", "--aantal", "3"], ["status", "--store", "s.sqlite", "--count", "3"], "aantal", 3),
    (["validate", "f.xlsx", "--peildatum", "1-10-2026"], ["validate", "f.xlsx", "--as-of", "1-10-2026"],
     "peildatum", "1-10-2026"),
]


@pytest.mark.parametrize("oud, nieuw, dest, waarde", OUDE_SPELLINGEN)
def test_old_flag_spellings_still_work_but_are_not_in_the_help(oud, nieuw, dest, waarde, capsys):
    from pmiek.cli import build_parser
    parser = build_parser()
    assert getattr(parser.parse_args(oud), dest) == waarde
    assert getattr(parser.parse_args(nieuw), dest) == waarde
    with pytest.raises(SystemExit):
        main([nieuw[0], "--help"])
    hulp = capsys.readouterr().out
    assert next(a for a in nieuw if a.startswith("--") and a != "--store") in hulp
    assert next(a for a in oud if a.startswith("--") and a != "--store") not in hulp


def test_every_flag_is_english():
    """One language for flags: the ones a user sees in --help are English words."""
    from pmiek.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.choices and "sync" in a.choices)
    zichtbaar = {o for p in sub.choices.values() for a in p._actions if a.help != "==SUPPRESS=="
                 for o in a.option_strings}
    assert {"--as-of", "--no-progress", "--allow-empty-source", "--count", "--quarter", "--send"} <= zichtbaar
    nederlands = {"aantal", "peildatum", "geen", "lege", "bron", "voortgang", "toestaan", "kwartaal", "map",
                  "uit", "verzend", "voorbeeld", "kleur", "forceer", "alleen", "datum"}
    assert not {o for o in zichtbaar if set(o.lstrip("-").split("-")) & nederlands}
