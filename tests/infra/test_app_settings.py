"""The function app's settings cover every setting the code reads, and every secret is a Key Vault reference.

The expected names come from `shared.config.Settings` at test time, so a setting added to the code fails
here until the template sets it (main.bicep `connectorSettingDefaults`, or a Key Vault secret for a secret).
"""

from __future__ import annotations

import re
import sys
from inspect import isclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from shared.config import Settings

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import Infra, accessor, function, loop_source

# Settings the template deliberately does not set, with the reason.
NOT_DEPLOYED = {
    "sandbox_ca_bundle": "sandbox only: trusts the local emulators' CA; must stay empty in Azure",
    "erps": "connections beyond the flat BC_* one are app settings the merchant adds (README: ERPS__<connection>__*)",
}

KEY_VAULT_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets/(?P<name>[^/]+)/\)$")


def _env_name(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
    prefix = Settings.model_config.get("env_prefix") or ""
    return alias or f"{prefix}{name}".upper()


def _unwrap(annotation: Any) -> Any:
    """Optional[X] -> X."""
    if get_origin(annotation) in (Union, getattr(__import__("types"), "UnionType", Union)):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isclass(annotation) and issubclass(annotation, BaseModel)


def expected_settings(store_ids: list[str]) -> dict[str, FieldInfo]:
    """App-setting name -> field, for every setting `Settings` reads (nested models expanded)."""
    delimiter = Settings.model_config.get("env_nested_delimiter") or "__"
    expected: dict[str, FieldInfo] = {}
    for name, field in Settings.model_fields.items():
        if name in NOT_DEPLOYED:
            continue
        env = _env_name(name, field)
        annotation = _unwrap(field.annotation)
        if get_origin(annotation) is dict and _is_model(get_args(annotation)[1]):
            # dict[str, Model], e.g. WOO_STORES__<store id>__URL: one group per store of the parameters file.
            model = get_args(annotation)[1]
            for store_id in store_ids:
                for sub_name, sub_field in model.model_fields.items():
                    sub_env = (sub_field.alias or sub_name).upper()
                    expected[f"{env}{delimiter}{store_id}{delimiter}{sub_env}"] = sub_field
        elif _is_model(annotation):
            for sub_name, sub_field in annotation.model_fields.items():
                expected[f"{env}{delimiter}{(sub_field.alias or sub_name).upper()}"] = sub_field
        else:
            expected[env] = field
    return expected


def _is_secret(field: FieldInfo) -> bool:
    return _unwrap(field.annotation) is SecretStr


def _covered(name: str, template: set[str]) -> bool:
    """Settings are case-insensitive; a connection setting is also covered by its identity-based
    `<name>__*` form (AzureWebJobsStorage__queueServiceUri, ...)."""
    lowered = {t.lower() for t in template}
    return name.lower() in lowered or any(t.startswith(name.lower() + "__") for t in lowered)


def test_example_parameters_have_stores_to_expand(infra: Infra) -> None:
    assert len(infra.store_ids) >= 2  # two, so a per-store mistake cannot hide behind one store


def test_app_settings_cover_every_setting_the_code_reads(infra: Infra) -> None:
    template = set(infra.app_settings)
    missing = sorted(name for name in expected_settings(infra.store_ids) if not _covered(name, template))
    assert missing == [], (
        f"Settings read by shared/config.py but not set by the Bicep: {missing}. Add each to "
        "infra/connector-settings.json (with the code's default), or, for a secret, a Key Vault "
        "secret + reference (main.bicep secret entries, modules/functionapp.bicep), or list it in NOT_DEPLOYED "
        "in this test with the reason."
    )


def test_identity_based_host_storage_settings(infra: Infra) -> None:
    settings = infra.app_settings
    assert settings["AzureWebJobsStorage__blobServiceUri"] == "blobEndpoint"
    assert settings["AzureWebJobsStorage__queueServiceUri"] == "queueEndpoint"
    assert settings["AzureWebJobsStorage__tableServiceUri"] == "tableEndpoint"
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert "AzureWebJobsStorage" not in settings  # no connection string
    main_params = infra.module_params(infra.module_for("modules/functionapp.bicep"))
    for service in ("blob", "queue", "table"):
        assert accessor(main_params[f"{service}Endpoint"]) == f"storage.outputs.{service}Endpoint"


def test_every_secret_setting_is_a_versionless_key_vault_reference(infra: Infra) -> None:
    settings = {name.lower(): value for name, value in infra.app_settings.items()}
    secrets = [name for name, field in expected_settings(infra.store_ids).items() if _is_secret(field)]
    assert secrets, "Settings has secret fields"
    for name in secrets:
        value = settings.get(name.lower())
        assert isinstance(value, str) and KEY_VAULT_REFERENCE.match(value), (
            f"{name} must be @Microsoft.KeyVault(SecretUri=${{keyVaultUri}}secrets/<name>/) (versionless), "
            f"not {value!r}"
        )
    # Nothing else pretends to be a reference with a pinned version, and no secret sits in plain settings.
    for name, value in infra.app_settings.items():
        if isinstance(value, str) and "@Microsoft.KeyVault" in value:
            assert KEY_VAULT_REFERENCE.match(value), f"{name}: {value!r}"
    plain = set(infra.connector_settings)
    assert not plain & {name for name in secrets}, "a secret is in connectorSettingDefaults"


def test_key_vault_references_point_at_secrets_the_template_writes(infra: Infra) -> None:
    app_params = infra.module_params(infra.module_for("modules/functionapp.bicep"))
    assert accessor(app_params["keyVaultUri"]) == "keyVault.outputs.uri"
    keyvault = infra.file("modules/keyvault.bicep")
    assert accessor(keyvault.outputs["uri"]["value"]) == "vault.properties.vaultUri"

    referenced = set()
    for value in infra.app_settings.values():
        match = isinstance(value, str) and KEY_VAULT_REFERENCE.match(value)
        if match:
            referenced.add(match["name"])

    written = set()
    entries = function(
        infra.module_params(infra.module_for("modules/keyvault.bicep"))["secretValues"]["entries"], "concat"
    )
    for var_name in entries.values():
        var = infra.main.variables[var_name]
        if loop_source(var) == "stores":
            name = accessor(var["value"]["config"]["name"])
            for store_id in infra.store_ids:
                written.add(infra.expand("${" + name + "}", store_id))
        else:
            for entry in var["value"]:
                ref = accessor(entry["name"])  # appSecretNames.BC_CLIENT_SECRET
                assert ref.startswith("appSecretNames."), ref
                written.add(infra.main.var("appSecretNames")[ref.removeprefix("appSecretNames.")])
    assert all(re.fullmatch(r"[0-9a-zA-Z-]{1,127}", name) for name in written), written
    assert referenced == written


def test_template_settings_are_settings_the_code_knows(infra: Infra) -> None:
    """A misspelt name in connectorSettingDefaults would be ignored silently by pydantic-settings."""
    known = {name.lower() for name in expected_settings(infra.store_ids)}
    unknown = sorted(name for name in infra.connector_settings if name.lower() not in known)
    assert unknown == []


def test_setting_defaults_in_the_template_are_the_codes_defaults(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse the template's values as the app would (pydantic-settings from the environment) and compare them
    with the code defaults, so the two cannot drift apart unnoticed."""
    defaults = infra.connector_setting_defaults
    for name, value in defaults.items():
        assert isinstance(value, str), f"{name}: app settings are strings"
        monkeypatch.setenv(name, value)
    parsed = Settings()
    by_env = {_env_name(name, field).lower(): name for name, field in Settings.model_fields.items()}
    for name in defaults:
        field_name = by_env[name.lower()]
        code_default = Settings.model_fields[field_name].get_default(call_default_factory=True)
        assert getattr(parsed, field_name) == code_default, (
            f"{name}: template {defaults[name]!r}, code {code_default!r}"
        )


def test_not_deployed_settings_still_exist(infra: Infra) -> None:
    """The exclusions must not outlive the settings they excuse."""
    assert set(NOT_DEPLOYED) <= set(Settings.model_fields)
    for name in NOT_DEPLOYED:
        assert name.upper() not in {s.upper() for s in infra.app_settings}
