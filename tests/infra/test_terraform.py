"""The Terraform module (infra/terraform/) is the Bicep's equal, and stays so.

No Terraform CLI runs here, so the module is checked as the Bicep is: parsed (python-hcl2), compared with the
Bicep (the same inputs, app settings, roles, storage, vault, alerts and KQL) and with `shared.config.Settings`,
and scanned by checkov (test_checkov.py). A resource or setting added to one tree and not the other fails here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import INFRA, Infra, body
from iac_render import bicep_query, normalized, terraform_text
from terraform_model import TERRAFORM, Terraform, expression, unquote
from test_app_settings import NOT_DEPLOYED, _covered, _is_secret, expected_settings

from shared.storage import names

# Bicep parameter -> Terraform variable. Only azd's environmentName has no Terraform twin (azd is Bicep-only).
BICEP_ONLY = {"environmentName"}
TERRAFORM_ONLY = {"resource_group_name", "http_per_instance_concurrency"}  # Bicep: the scope; functionapp.bicep
SPECIAL_NAMES = {"instanceMemoryMB": "instance_memory_mb", "storageSku": "storage_sku"}
KEY_VAULT_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=\$\{local\.kv_uri\}secrets/(?P<name>.+)/\)$")


def _snake(name: str) -> str:
    return SPECIAL_NAMES.get(name) or re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return Terraform()


def test_every_file_parses_and_versions_are_pinned(tf: Terraform) -> None:
    assert {"versions.tf", "variables.tf", "main.tf", "functionapp.tf", "operations.tf", "outputs.tf"} <= set(tf.docs)
    (terraform,) = tf.blocks("terraform")
    assert unquote(terraform["required_version"]).startswith(">= 1.")
    (providers,) = terraform["required_providers"]
    sources = {name: unquote(p["source"]) for name, p in providers.items() if not name.startswith("__")}
    assert sources["azurerm"] == "hashicorp/azurerm"
    for name, provider in providers.items():
        if not name.startswith("__"):
            assert re.fullmatch(r"= \d+\.\d+\.\d+", unquote(provider["version"])), f"{name}: pin an exact version"
    # Every resource is azurerm's, except the two azapi patches azurerm cannot express (and the workbook's uuid).
    others = {(t, n) for t, n in tf.resources if not t.startswith("azurerm_")}
    assert others == {
        ("azapi_update_resource", "key_vault_reference_identity"),
        ("azapi_update_resource", "ftp_publishing"),
        ("random_uuid", "workbook"),
    }


def test_variables_mirror_the_bicep_parameters_with_descriptions_and_validation(tf: Terraform, infra: Infra) -> None:
    bicep = {name: param for name, param in infra.main.params.items() if name not in BICEP_ONLY}
    expected = {_snake(name) for name in bicep} | TERRAFORM_ONLY
    assert set(tf.variables) == expected
    for name, var in tf.variables.items():
        assert len(unquote(var.get("description", ""))) >= 15, f"{name}: describe it"
        assert "type" in var, f"{name}: give a type"
    for name, param in bicep.items():
        var = tf.variables[_snake(name)]
        decorators = {d["type"] for d in param.get("decorators", [])}
        if decorators & {"min_value", "max_value", "allowed", "min_length", "max_length"}:
            assert "validation" in var, f"{_snake(name)}: Bicep limits it ({decorators}); add a validation block"
        if "secure" in decorators:
            assert var.get("sensitive") is True, f"{_snake(name)}: sensitive, as the Bicep's @secure()"
        default = param.get("default")
        if isinstance(default, (int, bool)) or (isinstance(default, str) and "(" not in default):
            assert unquote(var.get("default")) == default, f"{_snake(name)}: default differs from the Bicep's"
        if default is None and "secure" not in decorators:
            assert "default" not in var, f"{_snake(name)}: required in the Bicep, so required here"


def test_example_tfvars_parse_and_give_every_required_variable(tf: Terraform, infra: Infra) -> None:
    example = {k: v for k, v in hcl2.load((TERRAFORM / "terraform.tfvars.example").open()).items() if k[:2] != "__"}
    required = {name for name, var in tf.variables.items() if "default" not in var}
    assert required <= set(example), f"missing: {sorted(required - set(example))}"
    assert set(example) <= set(tf.variables)
    stores = [{k: unquote(v) for k, v in store.items()} for store in example["woo_stores"]]
    assert all(set(store) <= {"id", "url", "currency", "erp", "document_prefix", "ca_bundle"} for store in stores)
    assert [s["id"] for s in stores] == infra.store_ids  # the same example stores as the Bicep's
    text = (TERRAFORM / "terraform.tfvars.example").read_text()
    assert not re.search(r"\b(ck|cs)_[0-9a-f]{8,}", text) and "secret" not in "".join(example)


def _terraform_app_settings(tf: Terraform, store_ids: list[str]) -> dict[str, Any]:
    """App settings of the function app by name, per-store ones expanded, values as written in the module."""
    app = tf.resource("azurerm_function_app_flex_consumption", "app")
    assert expression(app["app_settings"]) == "local.app_settings"
    parts = re.fullmatch(r"merge\((.*)\)", expression(tf.locals["app_settings"]) or "")
    assert parts, "local.app_settings = merge(...)"
    order = [p.strip() for p in parts[1].split(",")]
    assert order == [
        "local.host_settings",
        "local.connector_settings",
        "local.derived_settings",
        "local.secret_settings",
        "local.store_settings",
    ]
    settings: dict[str, Any] = {}

    def add(name: str, value: Any) -> None:
        assert name not in settings, f"{name} set twice"
        settings[name] = value

    for key, value in tf.local_map("host_settings").items():
        add(key, value)
    assert expression(tf.locals["connector_settings"]) == (
        "merge(local.connector_setting_defaults, local.connector_settings_from_variables, var.setting_overrides)"
    )
    assert (
        'jsondecode(file("${path.module}/../connector-settings.json")).settings'
        in tf.locals["connector_setting_defaults"]
    )
    for key, value in json.loads((INFRA / "connector-settings.json").read_text())["settings"].items():
        add(key, value)
    for key, value in tf.local_map("connector_settings_from_variables").items():
        add(key, value)
    for key, value in tf.local_map("derived_settings").items():
        add(key, value)
    secret_expr = expression(tf.locals["secret_settings"]) or ""
    template = re.search(r'setting => "([^"]+)"', secret_expr)
    assert template and "for setting, secret in local.app_secret_names" in secret_expr
    for setting, secret in tf.local_map("app_secret_names").items():
        add(setting, template[1].replace("${secret}", secret))
    store_expr = expression(tf.locals["store_settings"]) or ""
    assert store_expr.startswith("merge([for s in local.stores : {")
    per_store = re.findall(r'"(WOO_STORES__\$\{s\.id\}__\w+)" = ("[^"]*"|[\w.]+)', store_expr)
    assert len(per_store) >= 5, per_store
    for store_id in store_ids:
        for name, value in per_store:
            add(name.replace("${s.id}", store_id), unquote(value))
    return settings


def test_app_settings_are_the_biceps_and_cover_what_the_code_reads(tf: Terraform, infra: Infra) -> None:
    settings = _terraform_app_settings(tf, infra.store_ids)
    assert sorted(settings) == sorted(infra.app_settings), "Terraform and Bicep set different app settings"
    missing = [name for name in expected_settings(infra.store_ids) if not _covered(name, set(settings))]
    assert missing == []
    assert not {name.upper() for name in NOT_DEPLOYED} & {s.upper() for s in settings}
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert "AzureWebJobsStorage" not in settings
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"


def test_every_secret_is_a_versionless_key_vault_reference_to_a_secret_the_module_writes(
    tf: Terraform, infra: Infra
) -> None:
    settings = _terraform_app_settings(tf, infra.store_ids)
    secrets = [name for name, field in expected_settings(infra.store_ids).items() if _is_secret(field)]
    referenced = set()
    for name in secrets:
        match = KEY_VAULT_REFERENCE.match(str(settings[name]))
        assert match, f"{name}: {settings[name]!r}"
        referenced.add(match["name"])
    store_fields = {
        "${s.consumer_key_secret}": "consumer_key_secret",
        "${s.consumer_secret_secret}": "consumer_secret_secret",
        "${s.webhook_secret_secret}": "webhook_secret_secret",
    }
    assert referenced - set(tf.local_map("app_secret_names").values()) == set(store_fields)
    stores_expr = expression(tf.locals["stores"]) or ""
    for field in store_fields.values():
        assert re.search(rf'{field}\s*=\s*"woo-\$\{{lower\(s\.id\)\}}-', stores_expr), field
    # The secrets written are exactly the referenced ones (empty values skipped, as in the Bicep).
    written = expression(tf.locals["secret_values"]) or ""
    for name in tf.local_map("app_secret_names"):
        assert f"local.app_secret_names.{name}" in written
    for field in store_fields.values():
        assert f"s.{field}" in written
    secret = tf.resource("azurerm_key_vault_secret", "app")
    assert expression(secret["for_each"]) == "local.secrets_to_write"
    assert 'if value != ""' in (expression(tf.locals["secrets_to_write"]) or "")
    # ...resolved with the user-assigned identity, which azurerm cannot set on a Flex app: azapi patches it.
    patch = tf.resource("azapi_update_resource", "key_vault_reference_identity")
    assert patch["body"]["properties"]["keyVaultReferenceIdentity"] == "${azurerm_user_assigned_identity.app.id}"


def test_the_identity_gets_exactly_the_biceps_roles_on_the_same_scopes(tf: Terraform, infra: Infra) -> None:
    rbac = infra.file("modules/rbac.bicep")
    bicep_roles = set(rbac.var("roles").values())
    tf_roles = tf.local_map("roles")
    assert set(tf_roles.values()) == bicep_roles
    scope_kind = {
        "azurerm_storage_account.app.id": "storage",
        "azurerm_key_vault.app.id": "vault",
        "azurerm_application_insights.app.id": "appInsights",
    }
    tf_app = {
        (scope_kind[expression(a["scope"]) or ""], tf_roles[(expression(a["role"]) or "").removeprefix("local.roles.")])
        for a in tf.locals["app_role_assignments"].values()
    }
    bicep_app = set()
    for resource in rbac.of_type("Microsoft.Authorization/roleAssignments").values():
        props = body(resource)
        if props["properties"]["principalId"] == "principalId":
            role_ref = json.dumps(props["properties"]["roleDefinitionId"])
            role = next(v for k, v in rbac.var("roles").items() if f"roles.{k}" in role_ref or k in role_ref)
            bicep_app.add((props["scope"], role))
    assert tf_app == bicep_app and len(tf_app) == 5
    assignment = tf.resource("azurerm_role_assignment", "app")
    assert expression(assignment["principal_id"]) == "azurerm_user_assigned_identity.app.principal_id"


def test_storage_vault_and_telemetry_are_locked_down_as_in_the_bicep(tf: Terraform) -> None:
    storage = tf.resource("azurerm_storage_account", "app")
    assert storage["shared_access_key_enabled"] is False
    assert storage["allow_nested_items_to_be_public"] is False
    assert unquote(storage["min_tls_version"]) == "TLS1_2"
    assert storage["https_traffic_only_enabled"] is True
    assert storage["infrastructure_encryption_enabled"] is True
    vault = tf.resource("azurerm_key_vault", "app")
    assert vault["rbac_authorization_enabled"] is True
    assert vault["purge_protection_enabled"] is True
    assert vault["soft_delete_retention_days"] == 90
    insights = tf.resource("azurerm_application_insights", "app")
    assert insights["local_authentication_disabled"] is True
    site = tf.resource("azurerm_function_app_flex_consumption", "app")
    assert site["https_only"] is True and site["webdeploy_publish_basic_authentication_enabled"] is False
    assert unquote(site["site_config"][0]["minimum_tls_version"]) == "1.2"
    assert unquote(site["storage_authentication_type"]) == "UserAssignedIdentity"
    assert unquote(site["runtime_name"]) == "python"
    assert expression(site["maximum_instance_count"]) == "var.maximum_instance_count"
    ftp = tf.resource("azapi_update_resource", "ftp_publishing")
    assert unquote(ftp["name"]) == "ftp" and ftp["body"]["properties"]["allow"] is False
    assert "ftps_state" not in tf.text  # rejected on Flex Consumption (ARM error 51021)


def test_queues_tables_and_containers_are_the_apps(tf: Terraform, infra: Infra) -> None:
    assert tf.local_list("queue_names") == list(names.QUEUES) == infra.main.var("queueNames")
    assert tf.local_list("table_names") == list(names.TABLES) == infra.main.var("tableNames")
    assert tf.local_list("container_names") == list(names.CONTAINERS) == infra.main.var("containerNames")
    assert unquote(tf.locals["deployment_container_name"]) == infra.main.var("deploymentContainerName")


def test_alert_rules_and_saved_queries_are_the_biceps_query_for_query(tf: Terraform, infra: Infra) -> None:
    ops = infra.file("modules/operations.bicep")
    kql = {key: unquote(value) for key, value in tf.locals["kql"].items()}

    def tf_query(ref: Any) -> str:
        return terraform_text(infra, kql[(expression(ref) or "").removeprefix("local.kql.")])

    tf_rules = {unquote(name): rule for name, rule in tf.locals["alert_rules"].items()}
    bicep_rules = {rule["name"]: rule for rule in ops.var("alertRules")}
    assert set(tf_rules) == set(bicep_rules)
    for name, rule in bicep_rules.items():
        mine = tf_rules[name]
        assert normalized(tf_query(mine["query"])) == normalized(bicep_query(infra, rule["query"])), name
        for bicep_key, tf_key in (("measure", "measure"), ("dimension", "dimension"), ("frequency", "frequency")):
            assert unquote(mine[tf_key]) == rule[bicep_key], (name, bicep_key)
        assert unquote(mine["window"]) == rule["window"] and mine["severity"] == rule["severity"]
        assert unquote(mine["lookback"]) == rule.get("lookback"), name
        assert unquote(mine["description"]) == rule["description"], name
    tf_saved = {unquote(name): saved for name, saved in tf.locals["saved_queries"].items()}
    bicep_saved = {saved["name"]: saved for saved in ops.var("savedQueries")}
    assert set(tf_saved) == set(bicep_saved)
    for name, saved in bicep_saved.items():
        assert normalized(tf_query(tf_saved[name]["query"])) == normalized(bicep_query(infra, saved["query"])), name
    # The event names come from the same file, never spelt in the module.
    for event in infra.events["events"].values():
        assert f"'{event}'" not in tf.text, event


def test_the_renderer_is_not_a_rubber_stamp(infra: Infra) -> None:
    held = normalized(bicep_query(infra, "heldTooLongQuery"))
    assert "'order_held'" in held and "'order_cancelled'" in held and "{heldOrderAlertMinutes}" in held
    assert normalized(terraform_text(infra, "x '${local.events.orderHeld}'")) == "x 'order_held'"
    with pytest.raises(AssertionError):
        terraform_text(infra, "${local.unknown}")


def test_optional_network_is_the_flex_pattern(tf: Terraform) -> None:
    subnet = tf.resource("azurerm_subnet", "app_integration")
    (delegation,) = subnet["delegation"]
    assert unquote(delegation["service_delegation"][0]["name"]) == "Microsoft.App/environments"
    assert "_" not in unquote(subnet["name"])
    site = tf.resource("azurerm_function_app_flex_consumption", "app")
    assert "azurerm_subnet.app_integration[0].id" in site["virtual_network_subnet_id"]
    code = "\n".join(line.split("#")[0] for line in tf.text.splitlines())
    for word in ("vnet_route_all_enabled", "WEBSITE_VNET_ROUTE_ALL", "WEBSITE_DNS_SERVER"):
        assert word not in code


def test_outputs_match_the_biceps(tf: Terraform, infra: Infra) -> None:
    bicep = {_snake(name) for name in infra.main.outputs if not name.isupper()}  # UPPER_SNAKE ones are azd's
    assert set(tf.outputs) == bicep
    for name, output in tf.outputs.items():
        assert len(unquote(output.get("description", ""))) >= 10, name


# Every ARM resource type the Bicep deploys -> how the Terraform module deploys it. A type added to the Bicep
# (e.g. GP's private endpoints) fails here until the module has it too, and the other way round.
BICEP_TO_TERRAFORM = {
    "Microsoft.Authorization/roleAssignments": "azurerm_role_assignment",
    "Microsoft.Insights/actionGroups": "azurerm_monitor_action_group",
    "Microsoft.Insights/components": "azurerm_application_insights",
    "Microsoft.Insights/scheduledQueryRules": "azurerm_monitor_scheduled_query_rules_alert_v2",
    "Microsoft.Insights/workbooks": "azurerm_application_insights_workbook",
    "Microsoft.KeyVault/vaults": "azurerm_key_vault",
    "Microsoft.KeyVault/vaults/secrets": "azurerm_key_vault_secret",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "azurerm_user_assigned_identity",
    "Microsoft.Network/virtualNetworks": "azurerm_virtual_network",  # with its subnets (azurerm_subnet)
    "Microsoft.Network/privateDnsZones": "azurerm_private_dns_zone",  # the GP host name, privately
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "azurerm_private_dns_zone_virtual_network_link",
    "Microsoft.Network/privateDnsZones/A": "azurerm_private_dns_a_record",
    "Microsoft.OperationalInsights/workspaces": "azurerm_log_analytics_workspace",
    "Microsoft.OperationalInsights/workspaces/savedSearches": "azurerm_log_analytics_saved_search",
    "Microsoft.Storage/storageAccounts": "azurerm_storage_account",
    "Microsoft.Storage/storageAccounts/blobServices": "azurerm_storage_account",  # blob_properties
    "Microsoft.Storage/storageAccounts/blobServices/containers": "azurerm_storage_container",
    "Microsoft.Storage/storageAccounts/queueServices": "azurerm_storage_account",  # implicit
    "Microsoft.Storage/storageAccounts/queueServices/queues": "azurerm_storage_queue",
    "Microsoft.Storage/storageAccounts/tableServices": "azurerm_storage_account",  # implicit
    "Microsoft.Storage/storageAccounts/tableServices/tables": "azurerm_storage_table",
    "Microsoft.Web/serverfarms": "azurerm_service_plan",
    "Microsoft.Web/sites": "azurerm_function_app_flex_consumption",
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies": "azapi_update_resource",  # ftp; scm: the site's
}
TERRAFORM_EXTRAS = {"azurerm_subnet", "random_uuid"}  # the Bicep's subnet is inline; the workbook's name


def test_every_resource_type_of_one_tree_is_in_the_other(tf: Terraform, infra: Infra) -> None:
    bicep_types = {
        resource["type"]
        for bicep in infra.files.values()
        for resource in bicep.resources.values()
        if not resource.get("existing")
    }
    assert bicep_types == set(BICEP_TO_TERRAFORM), (
        f"new in the Bicep: {sorted(bicep_types - set(BICEP_TO_TERRAFORM))}; "
        f"gone: {sorted(set(BICEP_TO_TERRAFORM) - bicep_types)}"
    )
    tf_types = {rtype for rtype, _ in tf.resources}
    assert tf_types == set(BICEP_TO_TERRAFORM.values()) | TERRAFORM_EXTRAS
