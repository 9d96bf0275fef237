"""The example parameters match main.bicep; the deployment README and the example workflow say what they must."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import INFRA, Infra

README = INFRA / "README.md"
WORKFLOW = INFRA / "workflows" / "deploy.yml"
PYTHON_TYPES = {"string": str, "int": int, "bool": bool, "array": list, "object": dict}


def _is_secure(infra: Infra, name: str) -> bool:
    return any(d["type"] == "secure" for d in infra.main.params[name].get("decorators", []))


def test_example_parameters_are_declared_typed_and_complete(infra: Infra) -> None:
    example = infra.example_parameters
    declared = infra.main.params
    assert set(example) <= set(declared), f"unknown parameters: {sorted(set(example) - set(declared))}"
    required = {name for name, p in declared.items() if p.get("default") is None and not _is_secure(infra, name)}
    assert required <= set(example), f"missing required parameters: {sorted(required - set(example))}"
    for name, value in example.items():
        assert isinstance(value, PYTHON_TYPES[declared[name]["type"]]), name
        allowed = infra.main.decorator(name, "allowed")
        if allowed:
            assert value in allowed, name


def test_example_parameters_hold_no_secrets(infra: Infra) -> None:
    assert not [name for name in infra.example_parameters if _is_secure(infra, name)]
    text = (INFRA / "main.parameters.example.json").read_text()
    assert not re.search(r"\b(ck|cs)_[0-9a-f]{8,}", text)


def test_example_stores_are_usable_ids(infra: Infra) -> None:
    for store in infra.example_parameters["wooStores"]:
        assert {"id", "url", "currency"} <= set(store) <= {"id", "url", "currency", "erp", "documentPrefix"}
        # The id goes into app-setting names, the webhook URL and Key Vault secret names.
        assert re.fullmatch(r"[a-z0-9]+", store["id"]), store["id"]
        assert store["url"].startswith("https://")
    prefixes = [store.get("documentPrefix", "") for store in infra.example_parameters["wooStores"]]
    assert "" not in prefixes and len(set(prefixes)) == len(prefixes)  # two stores share the BC company


def test_readme_covers_the_deployment_steps() -> None:
    readme = README.read_text()
    for needed in (
        "User Access Administrator",  # role assignments need it
        "az deployment group create",
        "az deployment group what-if",
        "func azure functionapp publish",
        "config-zip",
        "/api/webhooks/woo/<store>?code=<function key>",
        "order.created",
        "order.updated",
        "order.deleted",
        "API.ReadWrite.All",
        "Microsoft Entra applications",
        "versionless",
        "24 hours",
        "workflows/deploy.yml",
    ):
        assert needed in readme, f"infra/README.md should mention {needed!r}"


def test_readme_justifies_every_checkov_suppression(infra: Infra) -> None:
    readme = README.read_text()
    skipped = {m for bicep in infra.files.values() for m in re.findall(r"checkov:skip=CKV_AZURE_(\d+)", bicep.text)}
    assert skipped
    for number in skipped:
        assert re.search(rf"CKV_AZURE_(?:\d+, )*{number}\b", readme), f"README does not list CKV_AZURE_{number}"
    terraform = "\n".join(p.read_text() for p in (INFRA / "terraform").glob("*.tf"))
    for prefix, number in set(re.findall(r"checkov:skip=(CKV2?_AZURE_)(\d+)", terraform)):
        assert re.search(rf"{prefix}(?:\d+, )*{number}\b", readme), f"README does not list {prefix}{number}"


def test_example_workflow_deploys_with_oidc_and_publishes() -> None:
    text = WORKFLOW.read_text()
    assert "id-token: write" in text  # OIDC
    assert "azure/login@v2" in text and "client-id:" in text
    assert "creds:" not in text and "publish-profile" not in text  # no stored credentials
    assert "az deployment group create" in text and "infra/main.bicep" in text
    # ...or the Terraform module, signed in with the same OIDC token; plan before apply.
    assert "ARM_USE_OIDC" in text and "use_oidc" in text and "terraform plan" in text and "terraform apply" in text
    assert "infra/main.parameters.json" not in text  # that file is azd's (${VAR} placeholders)
    assert "config-zip" in text and "--build-remote true" in text
    # Secrets never on a command line: they go through a parameters file in the runner's temp dir.
    assert "secrets.parameters.json" in text
    for line in text.splitlines():
        if "az " in line:
            assert "secrets." not in line.replace("secrets.parameters.json", ""), line
