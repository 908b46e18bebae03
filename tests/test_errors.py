"""The one exception tree (`fiche.errors`): representative failures of the modules land in it by
cause, each with an English log line (`str`) and a Dutch message (`melding`)."""

from __future__ import annotations

import ast
import socket
import sys
from pathlib import Path

import pytest
from sample_overzicht import sample_overzicht

from fiche.datums import DatumFout, parse_datum
from fiche.errors import (
    ConfigError,
    FileError,
    FileRefused,
    InputError,
    PmiekError,
    RemoteError,
    TijdelijkeFout,
    oorzaak_nl,
)

ROOT = Path(__file__).resolve().parents[1]


def test_the_tree_by_cause():
    for oorzaak in (InputError, ConfigError, FileError, RemoteError):
        assert oorzaak.__bases__ == (PmiekError,)
    assert issubclass(FileRefused, FileError) and issubclass(TijdelijkeFout, RemoteError)
    assert not issubclass(ConfigError, InputError)


def test_a_date_that_is_no_date_is_an_input_error_with_a_dutch_message():
    with pytest.raises(InputError) as e:
        parse_datum("31-2-2031")
    assert isinstance(e.value, DatumFout) and isinstance(e.value, ValueError)
    assert e.value.melding == "'31-2-2031' is geen bestaande datum."
    assert str(e.value) == "no such day: '31-2-2031'"


def test_a_master_that_cannot_be_written_is_a_file_error(tmp_path):
    from sync.master import MasterWriteError, schrijf_master

    pad = tmp_path / "master.xlsx"
    pad.mkdir()  # a folder where the master should go
    (pad / "x").write_text("x")
    with pytest.raises(FileError) as e:
        schrijf_master(sample_overzicht(), pad)
    assert isinstance(e.value, MasterWriteError) and "kon niet worden geschreven" in e.value.melding


def test_transport_errors_are_remote_errors_and_keep_their_kind(tmp_path):
    from sync.herhaling import Herhaling
    from sync.kwartaal.transport import (
        OnzekereVerzending,
        SmtpInstellingen,
        SmtpTransport,
        TijdelijkeVerzendFout,
        VerzendFout,
    )

    assert issubclass(TijdelijkeVerzendFout, TijdelijkeFout)
    for soort in (VerzendFout, OnzekereVerzending):
        assert issubclass(soort, RemoteError) and not issubclass(soort, TijdelijkeFout)

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        poort = s.getsockname()[1]
    t = SmtpTransport(SmtpInstellingen(host="127.0.0.1", port=poort, user_env=None, timeout=2),
                      Herhaling(pogingen=2, basis=0.01, slaap=lambda s: None))
    from email.message import EmailMessage
    bericht = EmailMessage()
    bericht["From"], bericht["To"], bericht["Subject"] = "a@drenthe.nl", "b@drenthe.nl", "x"
    with pytest.raises(TijdelijkeVerzendFout) as e:
        t.verzend(bericht)
    assert isinstance(e.value, RemoteError) and "niet bereikbaar" in e.value.melding


def test_a_configuration_error_is_a_usage_error_on_the_command_line(tmp_path, capsys):
    from pmiek.cli import EXIT_USAGE, main

    config = tmp_path / "pmiek.toml"
    config.write_text("[store]\npath = 5\n", encoding="utf-8")
    assert main(["status", "--config", str(config)]) == EXIT_USAGE
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("Fout: Instelling '")


def test_the_tree_is_standard_library_only_for_xlwings_lite():
    boom = ast.parse((ROOT / "fiche" / "errors.py").read_text(encoding="utf-8"))
    namen = {a.name.split(".")[0] for n in ast.walk(boom) if isinstance(n, ast.Import) for a in n.names}
    namen |= {n.module.split(".")[0] for n in ast.walk(boom) if isinstance(n, ast.ImportFrom) and n.module}
    assert namen <= set(sys.stdlib_module_names) | {"__future__"}
    assert oorzaak_nl(FileNotFoundError(2, "No such file")) == "bestaat niet"
