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
    with pytest.raises(ConfigError, match=r"share ERP connection 'bc'.*DOCUMENT_PREFIX"):
        check_app_settings(load_settings())  # order 1001 of each store would pass the other's duplicate check
    app_env.setenv("WOO_STORES__outlet__DOCUMENT_PREFIX", "OUT-")
    app_env.setenv("WOO_STORES__main__DOCUMENT_PREFIX", "WEB-")
    settings = check_app_settings(load_settings())
    assert sorted(settings.woo_stores) == ["main", "outlet"]
    assert settings.store("OUTLET").api_url == "https://outlet.example.com/wp-json/wc/v3"
    assert settings.paid_statuses == ["processing", "completed", "on-hold"]
    with pytest.raises(ConfigError, match="Unknown store"):
        settings.store("nope")


# ------------------------------------------------------------------------------ ERP connections


def test_flat_bc_settings_are_the_connection_bc(app_env: pytest.MonkeyPatch) -> None:
    settings = check_app_settings(load_settings())
    assert list(settings.connections()) == ["bc"]
    assert settings.connection("bc").company_id == APP_SETTINGS["BC_COMPANY_ID"]
    assert settings.connection_of("main") == "bc"


def test_more_connections_come_from_erps_settings_and_stores_name_theirs(app_env: pytest.MonkeyPatch) -> None:
    for key, value in {"KIND": "bc", "TENANT_ID": "t2", "COMPANY_ID": "c2", "CLIENT_ID": "i2",
                       "CLIENT_SECRET": "@Microsoft.KeyVault(VaultName=kv1;SecretName=eu-secret)",
                       "MAX_CONCURRENCY": "3"}.items():  # fmt: skip
        app_env.setenv(f"ERPS__eu__{key}", value)
    app_env.setenv("WOO_STORES__outlet__URL", "https://outlet.example.com")
    for key in ("CONSUMER_KEY", "CONSUMER_SECRET", "WEBHOOK_SECRET"):
        app_env.setenv(f"WOO_STORES__outlet__{key}", "x")
    app_env.setenv("WOO_STORES__outlet__ERP", "eu")
    settings = check_app_settings(load_settings(lambda ref: f"value-of-{ref.name}"))
    assert sorted(settings.connections()) == ["bc", "eu"]
    assert (settings.connection_of("main"), settings.connection_of("outlet")) == ("bc", "eu")
    eu = settings.connection("EU")
    assert eu.company_id == "c2" and eu.max_concurrency == 3
    assert eu.client_secret.get_secret_value() == "value-of-eu-secret"  # every secret field is resolved
    assert settings.stores_of("eu") == ["outlet"]


def test_a_store_naming_an_unknown_connection_or_a_bad_prefix_stops_start_up(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("WOO_STORES__main__ERP", "nosuch")
    with pytest.raises(ConfigError, match="WOO_STORES__main__ERP names no ERP connection"):
        check_app_settings(load_settings())
    app_env.delenv("WOO_STORES__main__ERP")
    app_env.setenv("WOO_STORES__main__DOCUMENT_PREFIX", "WEB/")
    with pytest.raises(ConfigError, match="letters, digits and '-'"):
        check_app_settings(load_settings())
    app_env.setenv("WOO_STORES__main__DOCUMENT_PREFIX", "X" * 24)  # with a 12-digit number, over BC's 35
    with pytest.raises(ConfigError, match="longer than 23"):
        check_app_settings(load_settings())


def test_a_missing_connection_setting_names_its_erps_setting(app_env: pytest.MonkeyPatch) -> None:
    app_env.setenv("ERPS__eu__KIND", "bc")
    app_env.setenv("ERPS__eu__TENANT_ID", "t2")
    with pytest.raises(ConfigError) as error:
        check_app_settings(load_settings())
    assert "ERPS__eu__COMPANY_ID" in str(error.value) and "ERPS__eu__CLIENT_SECRET" in str(error.value)
