"""App-only tokens: real msal against the local HTTPS token stub (throwaway CA, TLS verified),
with a client secret from an environment variable or with a certificate file."""

from __future__ import annotations

import logging

import pytest

from fiche.errors import ConfigError, RemoteError
from sync.graph import GraphVerbinding


def test_client_secret_token_is_fetched_once_and_reused(graph_stub, caplog):
    graph_stub.bestand_zetten("Fiches/a.xlsx", b"a")
    with caplog.at_level(logging.DEBUG):
        eerste = GraphVerbinding(**graph_stub.verbinding_kwargs())
        for _ in range(3):
            eerste.get_json(f"drives/{graph_stub.drive_id}/root")
        # a second connection in the same process reuses the msal application and its cache
        tweede = GraphVerbinding(**graph_stub.verbinding_kwargs())
        tweede.get_json(f"drives/{graph_stub.drive_id}/root:/Fiches/a.xlsx:")
    assert len(graph_stub.token_verzoeken) == 1
    assert graph_stub.token_verzoeken[0]["grant_type"] == ["client_credentials"]
    assert graph_stub.token_verzoeken[0]["scope"] == ["https://graph.microsoft.com/.default"]
    # every Graph call carried the stub's bearer token (the stub answers 401 otherwise)
    assert graph_stub.tel("GET", r"^/v1\.0/drives/") == 4
    assert graph_stub.client_secret not in caplog.text


def test_certificate_credential_signs_a_client_assertion(graph_stub):
    verbinding = GraphVerbinding(**graph_stub.verbinding_kwargs(certificaat=True))
    assert verbinding.get_json(f"drives/{graph_stub.drive_id}/root")["id"] == graph_stub.root_id
    assert len(graph_stub.token_verzoeken) == 1
    assert graph_stub.token_verzoeken[0]["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]


def test_certificate_without_thumbprint_uses_the_certificate_in_the_pem(graph_stub):
    kw = graph_stub.verbinding_kwargs(certificaat=True)
    kw["certificate_thumbprint"] = None
    verbinding = GraphVerbinding(**kw)
    assert verbinding.get_json(f"drives/{graph_stub.drive_id}/root")["id"] == graph_stub.root_id


def test_a_wrong_secret_is_a_remote_error_with_a_dutch_message_and_no_secret(graph_stub, monkeypatch, caplog):
    monkeypatch.setenv("PMIEK_TEST_FOUT_GEHEIM", "dit-is-fout-123")
    kw = {**graph_stub.verbinding_kwargs(secret_env="PMIEK_TEST_FOUT_GEHEIM")}
    with caplog.at_level(logging.DEBUG):
        verbinding = GraphVerbinding(**kw)
        with pytest.raises(RemoteError) as fout:
            verbinding.get_json(f"drives/{graph_stub.drive_id}/root")
    assert "invalid_client" in str(fout.value)
    assert "geweigerd" in fout.value.melding
    assert "dit-is-fout-123" not in str(fout.value) and "dit-is-fout-123" not in caplog.text
    assert graph_stub.tel("GET", r"^/v1\.0/") == 0


def test_missing_secret_variable_or_certificate_names_the_config_key(graph_stub, tmp_path):
    with pytest.raises(ConfigError) as fout:
        GraphVerbinding(graph_stub.tenant_id, graph_stub.client_id, secret_env="PMIEK_BESTAAT_NIET",
                        authority_host=graph_stub.url, ca_bundle=graph_stub.pki.ca_pem)
    assert fout.value.key == "source.secret_env"
    with pytest.raises(ConfigError) as fout:
        GraphVerbinding(graph_stub.tenant_id, graph_stub.client_id, certificate=tmp_path / "weg.pem",
                        authority_host=graph_stub.url, ca_bundle=graph_stub.pki.ca_pem)
    assert fout.value.key == "source.certificate"
    alleen_cert = tmp_path / "alleen-cert.pem"
    alleen_cert.write_bytes(graph_stub.pki.client_cert_pem)
    with pytest.raises(ConfigError) as fout:
        GraphVerbinding(graph_stub.tenant_id, graph_stub.client_id, certificate=alleen_cert,
                        authority_host=graph_stub.url, ca_bundle=graph_stub.pki.ca_pem)
    assert "private key" in fout.value.melding


def test_tls_is_verified_an_untrusted_server_is_refused(graph_stub):
    kw = graph_stub.verbinding_kwargs()
    kw["ca_bundle"] = None  # the system CAs do not know the stub's throwaway CA
    kw["tenant_id"] = "99999999-0000-0000-0000-000000000000"  # not cached by an earlier test
    with pytest.raises(RemoteError) as fout:
        GraphVerbinding(**kw)
    assert "SSLError" in str(fout.value) or "certificate" in str(fout.value).lower()


def test_token_endpoint_throttling_is_retried(graph_stub, caplog):
    graph_stub.fout_injecteren("POST", r"/oauth2/v2\.0/token$", 429, headers={"Retry-After": "1"})
    kw = graph_stub.verbinding_kwargs()
    kw["client_id"] = graph_stub.client_id  # same app; a fresh tenant key would not be known to the stub
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.graph"):
        verbinding = GraphVerbinding(**kw)
        assert verbinding.get_json(f"drives/{graph_stub.drive_id}/root")["id"] == graph_stub.root_id
    assert graph_stub.tel("POST", r"/oauth2/v2\.0/token$") == 2
    assert any("token request failed, retrying" in r.getMessage() for r in caplog.records)
