"""Settings: typed, Key Vault references resolved or a start-up error naming the setting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared.config import (
    ConfigError,
    KeyVaultReference,
    check_app_settings,
    load_settings,
    parse_key_vault_reference,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_parses_both_key_vault_reference_forms() -> None:
    assert parse_key_vault_reference(
        "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/bc-secret/)"
    ) == (KeyVaultReference("https://kv1.vault.azure.net", "bc-secret", None))
    assert parse_key_vault_reference(
        "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/bc-secret/abc123)"
    ) == KeyVaultReference("https://kv1.vault.azure.net", "bc-secret", "abc123")
    assert parse_key_vault_reference("@Microsoft.KeyVault(VaultName=kv1;SecretName=woo-hook)") == KeyVaultReference(
        "https://kv1.vault.azure.net", "woo-hook", None
    )
    assert parse_key_vault_reference("plain-secret") is None
    with pytest.raises(ConfigError):
        parse_key_vault_reference("@Microsoft.KeyVault(Nonsense=1)")


def test_unresolved_references_are_resolved_at_load(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("BC_CLIENT_SECRET", "@Microsoft.KeyVault(VaultName=kv1;SecretName=bc-secret)")
    app_env.setenv(
        "WOO_STORES__main__WEBHOOK_SECRET", "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/hook/)"
    )
    asked: list[str] = []

    def resolver(ref: KeyVaultReference) -> str:
        asked.append(ref.name)
        return f"value-of-{ref.name}"

    settings = load_settings(resolver)
    assert settings.bc_client_secret.get_secret_value() == "value-of-bc-secret"
    assert settings.store("main").webhook_secret.get_secret_value() == "value-of-hook"
    assert sorted(asked) == ["bc-secret", "hook"]


def test_a_failed_resolution_names_the_setting_and_not_the_secret(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("BC_CLIENT_SECRET", "@Microsoft.KeyVault(VaultName=kv1;SecretName=bc-secret)")

    def resolver(ref: KeyVaultReference) -> str:
        raise PermissionError("403 from Key Vault")

    with pytest.raises(ConfigError) as error:
        load_settings(resolver)
    assert "BC_CLIENT_SECRET" in str(error.value) and "bc-secret" in str(error.value)


def test_missing_required_settings_are_listed_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    with pytest.raises(ConfigError) as error:
        check_app_settings(load_settings())
    message = str(error.value)
    for name in ("AzureWebJobsStorage", "WOO_STORES__<store>__URL", "BC_TENANT_ID", "BC_CLIENT_SECRET"):
        assert name in message


def test_invalid_values_name_the_setting(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("BC_DOCUMENT_KIND", "salesQuote")
    with pytest.raises(ConfigError, match="BC_DOCUMENT_KIND"):
        load_settings()


def test_stores_and_lists_parse_from_app_settings(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("WOO_STORES__outlet__URL", "https://outlet.example.com")
    app_env.setenv("WOO_STORES__outlet__CONSUMER_KEY", "ck")
    app_env.setenv("WOO_STORES__outlet__CONSUMER_SECRET", "cs")
    app_env.setenv("WOO_STORES__outlet__WEBHOOK_SECRET", "hook2")
    app_env.setenv("PAID_STATUSES", "processing, completed, on-hold")
    settings = check_app_settings(load_settings())
    assert sorted(settings.woo_stores) == ["main", "outlet"]
    assert settings.store("OUTLET").api_url == "https://outlet.example.com/wp-json/wc/v3"
    assert settings.paid_statuses == ["processing", "completed", "on-hold"]
    with pytest.raises(ConfigError, match="Unknown store"):
        settings.store("nope")
