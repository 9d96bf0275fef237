"""`azd up` works offline-checked: azure.yaml validates against azd's own schema, every required Bicep parameter
is provided by infra/main.parameters.json or prompted for by azd, and azd finds what it needs in the template."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import INFRA, REPO, Infra

SCHEMA = Path(__file__).parent / "schemas" / "azure.yaml.v1.0.json"  # source: schemas/SOURCE.md
AZURE_YAML = REPO / "azure.yaml"
AZD_PARAMETERS = INFRA / "main.parameters.json"
# Parameter types azd prompts for when a required parameter has no value (azd prompt.go: bool, number, string,
# array and object, the last two as JSON).
PROMPTABLE = {"string", "int", "bool", "array", "object"}
ENV_REFERENCE = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)\}$")


def _validate(doc: dict[str, Any]) -> None:
    """Validate offline. The schema's only remote references are the AI-extension service schemas
    (`host: azure.ai.*` / `microsoft.foundry`), which this project does not use: they resolve to an empty schema
    instead of a download, so those branches check nothing here and ours are checked in full."""
    schema = json.loads(SCHEMA.read_text())

    def retrieve(uri: str) -> Resource:
        assert "/cli/azd/extensions/" in uri, f"unexpected remote schema {uri}"
        return Resource.from_contents({}, default_specification=DRAFT201909)

    validator = jsonschema.Draft201909Validator(schema, registry=Registry(retrieve=retrieve))
    validator.validate(doc)


def _azure_yaml() -> dict[str, Any]:
    return yaml.safe_load(AZURE_YAML.read_text())


def _azd_parameters() -> dict[str, Any]:
    return {name: entry["value"] for name, entry in json.loads(AZD_PARAMETERS.read_text())["parameters"].items()}


def test_azure_yaml_validates_against_the_azd_schema() -> None:
    _validate(_azure_yaml())


def test_the_schema_check_is_not_a_rubber_stamp() -> None:
    for breakage in ("uppercase name", "service without host"):
        broken = copy.deepcopy(_azure_yaml())
        if breakage == "uppercase name":
            broken["name"] = "Woo_Dynamics"
        else:
            del broken["services"]["api"]["host"]
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken)


def test_azure_yaml_provisions_the_bicep_and_deploys_this_folder_as_a_function_app() -> None:
    doc = _azure_yaml()
    assert doc["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (INFRA / "main.bicep").is_file()
    (name, service), *others = doc["services"].items()
    assert not others
    assert service["host"] == "function" and service["language"] == "python" and service["project"] == "."
    assert (REPO / service["project"] / "function_app.py").is_file()
    assert (REPO / "requirements.txt").is_file() and (REPO / "host.json").is_file()
    assert name == "api"


def test_the_function_app_carries_the_azd_service_tag(infra: Infra) -> None:
    service = next(iter(_azure_yaml()["services"]))
    site = infra.file("modules/functionapp.bicep").one("Microsoft.Web/sites")
    assert f"'azd-service-name': '{service}'" in json.dumps(site["tags"]) or (
        f"azd-service-name': '{service}'" in infra.file("modules/functionapp.bicep").text
    )
    assert "'azd-env-name': environmentName" in infra.main.text


def test_every_parameter_without_a_default_is_provided_or_prompted(infra: Infra) -> None:
    """azd passes what main.parameters.json maps (after ${VAR} substitution) and prompts for every other
    required parameter, so each must be of a type azd can prompt for."""
    provided = _azd_parameters()
    declared = infra.main.params
    assert set(provided) <= set(declared), f"unknown parameters: {sorted(set(provided) - set(declared))}"
    required = [name for name, param in declared.items() if param.get("default") is None]
    assert required, "main.bicep has required parameters"
    for name in required:
        if name in provided:
            continue
        assert declared[name]["type"] in PROMPTABLE, f"{name}: azd cannot prompt for {declared[name]['type']}"
    # Every required parameter is mapped to an azd environment value, and the README says how to set it.
    readme = (REPO / "README.md").read_text() + (INFRA / "README.md").read_text()
    for name in required:
        match = ENV_REFERENCE.match(str(provided.get(name, "")))
        assert match, f"{name}: map it to an azd env value in infra/main.parameters.json"
        assert f"azd env set {match[1]}" in readme, f"the README does not say `azd env set {match[1]} ...`"


def test_azd_parameters_are_only_env_references(infra: Infra) -> None:
    """No literal values (and so no secret) in the azd parameters file; secure parameters map to env values."""
    for name, value in _azd_parameters().items():
        assert isinstance(value, str) and ENV_REFERENCE.match(value), f"{name}: {value!r}"
    assert _azd_parameters()["environmentName"] == "${AZURE_ENV_NAME}"
    assert _azd_parameters()["location"] == "${AZURE_LOCATION}"


def test_the_template_has_the_outputs_azd_reads(infra: Infra) -> None:
    outputs = infra.main.outputs
    for name in ("AZURE_LOCATION", "AZURE_TENANT_ID", "AZURE_FUNCTION_APP_NAME"):
        assert name in outputs, name
    assert "main.parameters.json" not in (REPO / ".gitignore").read_text()
    assert ".azure/" in (REPO / ".gitignore").read_text()  # azd's environment files (values incl. secrets)
