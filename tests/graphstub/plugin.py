"""pytest fixtures for the Graph/token stub; see the package docstring for the stub's API."""

from __future__ import annotations

import pytest

from .certs import StubPki, maak_pki
from .server import GraphStub

SECRET_ENV = "PMIEK_TEST_GRAPH_SECRET"


@pytest.fixture(scope="session")
def graph_pki(tmp_path_factory) -> StubPki:
    return maak_pki(tmp_path_factory.mktemp("graph-pki"))


@pytest.fixture
def graph_stub(graph_pki, monkeypatch):
    stub = GraphStub(graph_pki).start()
    monkeypatch.setenv(SECRET_ENV, stub.client_secret)
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def graph_verbinding(graph_stub):
    from sync.graph import GraphVerbinding

    verbinding = GraphVerbinding(**graph_stub.verbinding_kwargs(secret_env=SECRET_ENV))
    try:
        yield verbinding
    finally:
        verbinding.close()
