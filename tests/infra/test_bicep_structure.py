"""The Bicep declares what the connector needs, locked down: structural checks on the parsed templates.

There is no Bicep compiler offline, so these tests also do some of the compiler's work: module parameters
exist, required ones are passed, nothing comes from a registry.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pycep import BicepParser

from shared.storage import names

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import BICEP_FILES, INFRA, MODULES, Infra, accessor, body, function, loop_source, strings

ROLE_IDS = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
# Business Central: 5 requests run per user, 95 more wait in its queue; beyond 100 it answers 429.
BC_MAX_RUNNING_PLUS_QUEUED = 100


# ------------------------------------------------------------------ parsing and wiring


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_bicep_file_parses(path: Path) -> None:
    doc = BicepParser().parse(file_path=path)
    assert doc["globals"]["scope"]["value"] == "resourceGroup"


def test_the_expected_files_exist() -> None:
    rels = {p.relative_to(INFRA).as_posix() for p in BICEP_FILES}
    assert {
        "main.bicep",
        "modules/identity.bicep",
        "modules/storage.bicep",
        "modules/keyvault.bicep",
        "modules/monitoring.bicep",
        "modules/rbac.bicep",
        "modules/functionapp.bicep",
        "modules/operations.bicep",
        "modules/network.bicep",
    } <= rels


def test_no_registry_modules_so_everything_resolves_offline(infra: Infra) -> None:
    for bicep in infra.files.values():
        for symbol, module in bicep.modules.items():
            assert module["type"] == "local", f"{bicep.rel}: module {symbol} is not a local file"
            assert (bicep.path.parent / module["detail"]["path"]).is_file()
        assert "br/public:" not in bicep.text and "br:" not in bicep.text


def test_main_uses_every_module_file(infra: Infra) -> None:
    used = {bicep.path for bicep in infra.module_files.values()}
    assert used == set(MODULES.glob("*.bicep"))


def test_module_parameters_are_declared_and_required_ones_passed(infra: Infra) -> None:
    """What `bicep build` would catch: a misspelt or missing module parameter."""
    for symbol, module_file in infra.module_files.items():
        passed = set(infra.module_params(symbol))
        declared = set(module_file.params)
        required = {name for name, p in module_file.params.items() if "default" not in p or p["default"] is None}
        # pycep gives default None both for "no default" and for "@secure() ... = ''"-less params.
        assert passed <= declared, f"{symbol}: unknown parameters {sorted(passed - declared)}"
        assert required <= passed, f"{symbol}: missing parameters {sorted(required - passed)}"


def test_module_outputs_used_by_main_exist(infra: Infra) -> None:
    used = set(re.findall(r"\b(\w+)\.outputs\.(\w+)", infra.main.text))
    for symbol, output in used:
        assert output in infra.module_files[symbol].outputs, f"{symbol}.outputs.{output} is not declared"


def test_variables_used_in_interpolations_exist(infra: Infra) -> None:
    """`${name}` / `${name.x}` in a string must name a parameter, variable, resource, module or loop item."""
    for bicep in infra.files.values():
        known = set(bicep.params) | set(bicep.variables) | set(bicep.resources) | set(bicep.modules)
        loop_items = set(re.findall(r"\[for (?:\()?(\w+)", bicep.text))
        functions = {"toLower", "take", "replace", "uniqueString", "string"}
        for text in strings(bicep.doc):
            for ref in re.findall(r"\$\{(\w+)", text):
                assert ref in known | loop_items | functions, f"{bicep.rel}: unknown ${{{ref}}} in {text!r}"


# ------------------------------------------------------------------ function app (Flex Consumption)


def test_function_app_runs_on_flex_consumption_linux_python(infra: Infra) -> None:
    app = infra.file("modules/functionapp.bicep")
    plan = app.one("Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True
    site = app.one("Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    assert accessor(site["properties"]["serverFarmId"]) == "plan.id"
    config = site["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "pythonVersion"}
    assert app.default("pythonVersion") == "3.12"
    assert infra.main.default("pythonVersion") == "3.12"


def test_code_package_is_deployed_with_the_identity(infra: Infra) -> None:
    app = infra.file("modules/functionapp.bicep")
    storage = app.one("Microsoft.Web/sites")["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == "${blobEndpoint}${deploymentContainerName}"
    assert storage["authentication"] == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}
    # ...and main.bicep creates that container.
    params = infra.module_params(infra.module_for("modules/storage.bicep"))
    assert "deploymentContainerName" in strings(params["containerNames"])
    assert infra.module_params(infra.module_for("modules/functionapp.bicep"))["deploymentContainerName"] == (
        "deploymentContainerName"
    )


def test_instance_cap_is_valid_everywhere_and_the_erp_limit_does_not_rely_on_it(infra: Infra) -> None:
    """maximumInstanceCount applies per function scale group, not to the app (facts/azure-flex-infra.md finding 3),
    so it cannot bound ERP calls; the app's blob-lease slots do (BC_MAX_CONCURRENCY). The cap's range is
    the one every Flex document and sample accepts (40-1000; finding 2)."""
    app = infra.file("modules/functionapp.bicep")
    scale = app.one("Microsoft.Web/sites")["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["maximumInstanceCount"] == "maximumInstanceCount"
    assert scale["instanceMemoryMB"] == "instanceMemoryMB"
    assert "perInstanceConcurrency" in scale["triggers"]["http"]
    for bicep in (app, infra.main):
        assert bicep.decorator("maximumInstanceCount", "min_value") == 40, bicep.rel
        assert bicep.decorator("maximumInstanceCount", "max_value") == 1000, bicep.rel
        assert bicep.default("maximumInstanceCount") == 40, bicep.rel
    assert "maxConcurrentErpCalls" not in app.outputs  # no arithmetic on the cap
    # The ERP limit is an app setting, within Business Central's 5 running + 95 queued per user.
    limit = int(infra.connector_setting_defaults["BC_MAX_CONCURRENCY"])
    assert 1 <= limit <= BC_MAX_RUNNING_PLUS_QUEUED
    assert "BC_MAX_CONCURRENCY" in infra.main.outputs["maxConcurrentErpCalls"]["value"].__repr__()
    assert infra.module_params(infra.module_for("modules/functionapp.bicep"))["maximumInstanceCount"] == (
        "maximumInstanceCount"
    )


def test_optional_network_follows_the_flex_pattern(infra: Infra) -> None:
    network = infra.file("modules/network.bicep")
    network.one("Microsoft.Network/virtualNetworks")
    subnet = network.var("appSubnet")
    delegations = subnet["properties"]["delegations"]
    assert [d["properties"]["serviceName"] for d in delegations] == ["Microsoft.App/environments"]
    assert "_" not in network.var("appSubnetName")
    site = infra.file("modules/functionapp.bicep").one("Microsoft.Web/sites")
    assert "virtualNetworkSubnetId" in site["properties"]
    for bicep in infra.files.values():  # deprecated on Flex (D1); comments may name them
        code = "\n".join(line.split("//")[0] for line in bicep.text.splitlines())
        for word in ("vnetRouteAllEnabled", "WEBSITE_VNET_ROUTE_ALL", "WEBSITE_DNS_SERVER"):
            assert word not in code, f"{bicep.rel}: {word}"
    assert infra.main.default("vnetEnabled") is False


def test_site_is_https_only_tls12_no_ftp_no_basic_auth(infra: Infra) -> None:
    app = infra.file("modules/functionapp.bicep")
    site = app.one("Microsoft.Web/sites")
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["scmMinTlsVersion"] == "1.2"
    # ftpsState is rejected on Flex (ARM error 51021); FTP is off through the publishing-credentials policy.
    assert "ftpsState" not in props["siteConfig"]
    policies = {
        body(r)["name"]: body(r) for r in app.of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies").values()
    }
    assert set(policies) == {"ftp", "scm"}
    for policy in policies.values():
        assert policy["parent"] == "site"
        assert policy["properties"] == {"allow": False}


def test_site_runs_as_the_user_assigned_identity_also_for_key_vault_references(infra: Infra) -> None:
    app = infra.file("modules/functionapp.bicep")
    site = app.one("Microsoft.Web/sites")
    assert site["identity"]["type"] == "UserAssigned"
    assert [key.strip("'") for key in site["identity"]["userAssignedIdentities"]] == ["${identityId}"]
    assert site["properties"]["keyVaultReferenceIdentity"] == "identityId"
    params = infra.module_params(infra.module_for("modules/functionapp.bicep"))
    assert accessor(params["identityId"]) == "identity.outputs.id"
    assert accessor(params["identityClientId"]) == "identity.outputs.clientId"
    identity = infra.file("modules/identity.bicep").one("Microsoft.ManagedIdentity/userAssignedIdentities")
    assert identity["name"] == "name"


# ------------------------------------------------------------------ storage


def test_storage_account_is_identity_only_tls12_https_private_blobs(infra: Infra) -> None:
    storage = infra.file("modules/storage.bicep").one("Microsoft.Storage/storageAccounts")
    props = storage["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["allowBlobPublicAccess"] is False
    containers = infra.file("modules/storage.bicep").one("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert containers["properties"]["publicAccess"] == "None"


def test_nothing_uses_storage_keys_or_connection_strings(infra: Infra) -> None:
    for bicep in infra.files.values():
        assert "listKeys" not in bicep.text and "AccountKey" not in bicep.text, bicep.rel
        assert "DefaultEndpointsProtocol" not in bicep.text, bicep.rel


def _created(infra: Infra, resource_type: str, param: str) -> list[str]:
    """Names main.bicep passes to the storage module for a looped child resource."""
    storage = infra.file("modules/storage.bicep")
    (resource,) = storage.of_type(resource_type).values()
    assert loop_source(resource) == param
    assert body(resource)["name"] == resource["config"]["loop_type"]["detail"]["item_name"]
    passed = infra.module_params(infra.module_for("modules/storage.bicep"))[param]
    created: list[str] = []
    for ref in strings(passed):
        if ref in infra.main.variables:
            value = infra.main.var(ref)
            if isinstance(value, list):
                created += value
            elif loop_source(infra.main.variables[ref]) is not None:  # [for q in queueNames: '${q}-poison']
                detail = value["loop_type"]["detail"]
                template = value["config"]
                created += [
                    template.replace("${" + detail["item_name"] + "}", item)
                    for item in infra.main.var(detail["array_name"])
                ]
    return created


def test_every_queue_including_poison_queues_is_created(infra: Infra) -> None:
    queues = _created(infra, "Microsoft.Storage/storageAccounts/queueServices/queues", "queueNames")
    expected = set(names.QUEUES) | {names.poison_queue(q) for q in names.QUEUES}
    assert expected <= set(queues)
    for queue in queues:
        # A poison queue name is the queue name + "-poison" and must stay a valid queue name (3-63).
        assert re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", queue), queue
        assert queue.endswith("-poison") or len(queue) <= 56, queue


def test_every_table_is_created(infra: Infra) -> None:
    tables = _created(infra, "Microsoft.Storage/storageAccounts/tableServices/tables", "tableNames")
    assert set(names.TABLES) | {"customers", "skus"} <= set(tables)
    for table in tables:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{2,62}", table), table


def test_every_blob_container_is_created(infra: Infra) -> None:
    containers = _created(infra, "Microsoft.Storage/storageAccounts/blobServices/containers", "containerNames")
    assert set(names.CONTAINERS) <= set(containers)


# ------------------------------------------------------------------ Key Vault


def test_key_vault_uses_rbac_soft_delete_and_purge_protection(infra: Infra) -> None:
    vault = infra.file("modules/keyvault.bicep").one("Microsoft.KeyVault/vaults")
    props = vault["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert props["softDeleteRetentionInDays"] == "softDeleteRetentionInDays"
    assert "accessPolicies" not in props


def test_secret_values_come_from_secure_parameters_only(infra: Infra) -> None:
    keyvault = infra.file("modules/keyvault.bicep")
    assert any(d["type"] == "secure" for d in keyvault.params["secretValues"]["decorators"])
    for name in ("wooStoreSecrets", "bcClientSecret"):
        assert any(d["type"] == "secure" for d in infra.main.params[name]["decorators"]), name
        assert infra.main.default(name) in ("", {}), f"{name} must not have a real default"
    secrets = keyvault.one("Microsoft.KeyVault/vaults/secrets")
    assert accessor(secrets["properties"]["value"]) == "secret.value"
    # Empty values are skipped, so re-deploying without secrets keeps (rotated) values in the vault.
    source = loop_source(next(iter(keyvault.of_type("Microsoft.KeyVault/vaults/secrets").values())))
    assert function(source, "filter") is not None


# ------------------------------------------------------------------ role assignments


def _role_assignments(infra: Infra) -> dict[str, dict]:
    rbac = infra.file("modules/rbac.bicep")
    return {name: body(res) for name, res in rbac.of_type("Microsoft.Authorization/roleAssignments").items()}


def test_identity_gets_exactly_the_five_roles_on_the_right_scopes(infra: Infra) -> None:
    rbac = infra.file("modules/rbac.bicep")
    roles = rbac.var("roles")
    expected_scope = {
        "Storage Blob Data Owner": "Microsoft.Storage/storageAccounts",
        "Storage Queue Data Contributor": "Microsoft.Storage/storageAccounts",
        "Storage Table Data Contributor": "Microsoft.Storage/storageAccounts",
        "Key Vault Secrets User": "Microsoft.KeyVault/vaults",
        "Monitoring Metrics Publisher": "Microsoft.Insights/components",
    }
    granted: dict[str, str] = {}
    for name, assignment in _role_assignments(infra).items():
        props = assignment["properties"]
        if props["principalId"] != "principalId":
            continue  # the optional secrets officer is a person, not the app
        role_ref = accessor(function(props["roleDefinitionId"], "subscription_resource_id")["resource_name_1"])
        role_id = roles[role_ref.removeprefix("roles.")]
        assert role_id in ROLE_IDS, f"{name}: unexpected role {role_id}"
        role = ROLE_IDS[role_id]
        assert role not in granted, f"{role} granted twice"
        granted[role] = name
        assert props["principalType"] == "ServicePrincipal", name
        scope = assignment["scope"]
        assert rbac.resources[scope]["type"] == expected_scope[role], f"{name}: wrong scope for {role}"
        # Named guid(scope, principal, role): idempotent and unique.
        guid = function(assignment["name"], "guid")
        assert accessor(guid["base_string"]) == f"{scope}.id"
        assert guid["extra_string_1"] == "principalId"
        assert accessor(guid["extra_string_2"]) == role_ref
    assert set(granted) == set(ROLE_IDS.values())


def test_role_assignments_go_to_the_function_apps_identity(infra: Infra) -> None:
    params = infra.module_params(infra.module_for("modules/rbac.bicep"))
    assert accessor(params["principalId"]) == "identity.outputs.principalId"
    assert accessor(params["storageAccountName"]) == "storage.outputs.name"
    assert accessor(params["keyVaultName"]) == "keyVault.outputs.name"
    assert accessor(params["appInsightsName"]) == "monitoring.outputs.appInsightsName"
    # The app waits for its roles: the host needs storage access on its first start.
    assert "rbac" in infra.main.modules[infra.module_for("modules/functionapp.bicep")]["config"]["dependsOn"]


# ------------------------------------------------------------------ monitoring


def test_application_insights_accepts_entra_id_ingestion_only(infra: Infra) -> None:
    monitoring = infra.file("modules/monitoring.bicep")
    component = monitoring.one("Microsoft.Insights/components")
    props = {key.lower(): value for key, value in component["properties"].items()}
    assert props["disablelocalauth"] is True
    assert accessor(props["workspaceresourceid"]) == "workspace.id"
    settings = infra.app_settings
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
    assert "APPINSIGHTS_INSTRUMENTATIONKEY" not in settings
