"""An unusable CA bundle setting stops the app at start-up naming the setting, not at the first call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared.config import ConfigError, check_app_settings, load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SANDBOX_CA_BUNDLE", raising=False)
    return monkeypatch


def test_a_missing_bundle_file_names_the_setting(app_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app_env.setenv("WOO_STORES__main__CA_BUNDLE", str(tmp_path / "corporate-ca.pem"))
    with pytest.raises(ConfigError, match=r"WOO_STORES__main__CA_BUNDLE: CA bundle .* cannot be read"):
        check_app_settings(load_settings())


def test_a_bundle_without_certificates_names_the_setting(app_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    app_env.setenv("BC_CA_BUNDLE", str(junk))
    with pytest.raises(ConfigError, match="BC_CA_BUNDLE: not a valid PEM certificate"):
        check_app_settings(load_settings())


def test_a_pem_given_as_text_or_as_a_path_is_accepted(app_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sandbox.tls import ensure_tls_files

    ca = ensure_tls_files().ca_bundle
    app_env.setenv("BC_CA_BUNDLE", str(ca))
    app_env.setenv("WOO_STORES__main__CA_BUNDLE", ca.read_text().replace("\n", "\\n"))  # escaped line breaks
    settings = check_app_settings(load_settings())
    assert settings.bc_ca_bundle == str(ca) and settings.store("main").ca_bundle.startswith("-----BEGIN")
