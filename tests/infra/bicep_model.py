"""Helpers for the Bicep tests: every infra/**/*.bicep parsed with pycep-parser, and what the tests read from it.

pycep-parser turns Bicep into JSON (it is a parser, not the Bicep compiler: there is no type check and no
ARM output). Identifiers and string literals both come out as plain strings, and interpolated strings keep
their `${...}` text, e.g. 'WOO_STORES__${store.id}__URL'. The tests below rely only on that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = INFRA / "modules"
# infra/bc-extension is an AL extension for Business Central, not Azure infrastructure.
BICEP_FILES = sorted(p for p in INFRA.rglob("*.bicep") if "bc-extension" not in p.parts)


def walk(node: Any) -> Iterator[Any]:
    """Every dict, list and leaf under node, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def strings(node: Any) -> list[str]:
    return [leaf for leaf in walk(node) if isinstance(leaf, str)]


def body(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource body, also for `[for x in xs: {...}]` loops and `= if (...) {...}` conditions."""
    config = resource["config"]
    return config["config"] if "loop_type" in config or "condition" in config else config


def loop_source(resource_or_var: dict[str, Any]) -> Any:
    """What a resource loop iterates over (`array_name`), or None if it is not a loop."""
    config = resource_or_var.get("config", resource_or_var.get("value"))
    if isinstance(config, dict) and "loop_type" in config:
        return config["loop_type"]["detail"]["array_name"]
    return None


def accessor(node: Any) -> str | None:
    """'a.b.c' for a property-access chain such as roles.storageBlobDataOwner, else None."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and "operator" in node and node["operator"].get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        left, right = accessor(operands["operand_1"]), accessor(operands["operand_2"])
        if left is not None and right is not None:
            return f"{left}.{right}"
    return None


def function(node: Any, name: str) -> dict[str, Any] | None:
    if isinstance(node, dict) and isinstance(node.get("function"), dict) and node["function"]["type"] == name:
        return node["function"]["parameters"]
    return None


@dataclass
class Bicep:
    """One parsed .bicep file."""

    path: Path
    doc: dict[str, Any]

    @property
    def rel(self) -> str:
        return self.path.relative_to(INFRA).as_posix()

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def params(self) -> dict[str, Any]:
        return self.doc.get("parameters", {})

    @property
    def variables(self) -> dict[str, Any]:
        return self.doc.get("variables", {})

    @property
    def resources(self) -> dict[str, Any]:
        return self.doc.get("resources", {})

    @property
    def modules(self) -> dict[str, Any]:
        return self.doc.get("modules", {})

    @property
    def outputs(self) -> dict[str, Any]:
        return self.doc.get("outputs", {})

    def var(self, name: str) -> Any:
        return self.variables[name]["value"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: res
            for name, res in self.resources.items()
            if res["type"].lower() == resource_type.lower() and not res.get("existing")
        }

    def one(self, resource_type: str) -> dict[str, Any]:
        found = self.of_type(resource_type)
        assert len(found) == 1, f"{self.rel}: expected one {resource_type}, found {sorted(found)}"
        return body(next(iter(found.values())))

    def default(self, param: str) -> Any:
        return self.params[param].get("default")

    def decorator(self, param: str, kind: str) -> Any:
        for deco in self.params[param].get("decorators", []):
            if deco["type"] == kind:
                return deco.get("argument")
        return None


class Infra:
    """All Bicep files of infra/, parsed."""

    def __init__(self) -> None:
        parser = BicepParser()
        self.files = {path: Bicep(path, parser.parse(file_path=path)) for path in BICEP_FILES}

    def file(self, rel: str) -> Bicep:
        return self.files[INFRA / rel]

    @property
    def main(self) -> Bicep:
        return self.file("main.bicep")

    @cached_property
    def module_files(self) -> dict[str, Bicep]:
        """main.bicep module symbol -> the parsed module file."""
        return {
            symbol: self.file(module["detail"]["path"])
            for symbol, module in self.main.modules.items()
            if module["type"] == "local"
        }

    def module_params(self, symbol: str) -> dict[str, Any]:
        return body(self.main.modules[symbol])["params"]  # also `module x '...' = if (...) {...}`

    def module_for(self, rel: str) -> str:
        matches = [symbol for symbol, bicep in self.module_files.items() if bicep.rel == rel]
        assert len(matches) == 1, f"main.bicep should use {rel} exactly once"
        return matches[0]

    @cached_property
    def example_parameters(self) -> dict[str, Any]:
        doc = json.loads((INFRA / "main.parameters.example.json").read_text())
        return {name: entry["value"] for name, entry in doc["parameters"].items()}

    @cached_property
    def events(self) -> dict[str, Any]:
        return json.loads((MODULES / "app-events.json").read_text())

    @cached_property
    def store_ids(self) -> list[str]:
        return [store["id"].lower() for store in self.example_parameters["wooStores"]]

    # ------------------------------------------------------------ secret names (main.bicep `stores`)

    def store_field(self, field: str) -> str:
        """The expression main.bicep's `stores` gives a per-store field, e.g. 'woo-${toLower(store.id)}-...'."""
        stores = self.main.var("stores")
        assert loop_source(self.main.variables["stores"]) == "wooStores"
        return stores["config"][field]

    def expand(self, text: Any, store_id: str | None = None) -> Any:
        """Resolve the few interpolations the tests need: store fields, the store id, main.bicep variables.
        Anything but a string (an expression) is returned as it is."""
        if not isinstance(text, str):
            return text
        for _ in range(5):
            before = text
            for field in ("consumerKeySecret", "consumerSecretSecret", "webhookSecretSecret"):
                text = text.replace("${store." + field + "}", self.store_field(field))
            if store_id is not None:
                text = text.replace("${toLower(store.id)}", store_id).replace("${store.id}", store_id)
            for name, var in self.main.variables.items():
                if isinstance(var["value"], str):
                    text = text.replace("${" + name + "}", var["value"])
            if text == before:
                break
        return text

    # ------------------------------------------------------------ app settings

    @cached_property
    def app_settings(self) -> dict[str, Any]:
        """Every app setting of the function app, by name, with its (pycep) value; per-store settings expanded
        for the stores of main.parameters.example.json. Built from what `siteConfig.appSettings` really uses."""
        app = self.file("modules/functionapp.bicep")
        site = app.one("Microsoft.Web/sites")
        source = site["properties"]["siteConfig"]["appSettings"]
        assert source == "appSettings", "siteConfig.appSettings should be the appSettings variable"
        parts = function(app.var("appSettings"), "concat")
        assert parts, "appSettings should be concat(...) of setting lists"
        settings: dict[str, Any] = {}

        def add(name: str, value: Any) -> None:
            assert name not in settings, f"app setting {name} is set twice"
            settings[name] = value

        for part in parts.values():
            flattened = function(part, "flatten")
            var_name = next(iter(flattened.values())) if flattened else part
            var = app.variables[var_name]
            value = var["value"]
            source_list = loop_source(var)
            if source_list is None:  # a literal list of { name, value }
                for entry in value:
                    add(entry["name"], entry["value"])
            elif source_list == "stores":  # one group per WooCommerce store
                for store_id in self.store_ids:
                    for entry in value["config"]:
                        add(entry["name"].replace("${store.id}", store_id), self.expand(entry["value"], store_id))
            elif function(source_list, "items") is not None:  # [for x in items(<object param>): {...}]
                item = value["loop_type"]["detail"]["item_name"]
                for key, item_value in self.passed_object(function(source_list, "items")["arg_1"]).items():
                    name = value["config"]["name"]
                    assert accessor(name) == f"{item}.key", f"{var_name}: name should be {item}.key"
                    setting = value["config"]["value"]
                    if accessor(function(setting, "string") and function(setting, "string")["value_to_convert"]) == (
                        f"{item}.value"
                    ):
                        setting = item_value
                    elif isinstance(setting, str):
                        setting = setting.replace("${" + item + ".value}", str(item_value))
                    add(key, setting)
            else:
                raise AssertionError(f"functionapp.bicep: cannot read app settings from {var_name}")
        return settings

    def passed_object(self, module_param: str) -> dict[str, Any]:
        """The object main.bicep passes to functionapp.bicep's `module_param` (a main.bicep variable)."""
        passed = self.module_params(self.module_for("modules/functionapp.bicep"))[module_param]
        assert isinstance(passed, str) and passed in self.main.variables, f"{module_param}: pass a main.bicep variable"
        if passed == "connectorSettings":
            return self.connector_settings
        value = self.main.var(passed)
        assert isinstance(value, dict), f"{passed} should be an object literal"
        return value

    @cached_property
    def connector_setting_defaults(self) -> dict[str, str]:
        """main.bicep connectorSettingDefaults = loadJsonContent('connector-settings.json').settings (shared with
        the Terraform module)."""
        value = self.main.var("connectorSettingDefaults")
        assert accessor(value) is not None or isinstance(value, dict), value
        text = json.dumps(value)
        assert "load_json_content" in text and "connector-settings.json" in text, value
        return json.loads((INFRA / "connector-settings.json").read_text())["settings"]

    @cached_property
    def connector_settings(self) -> dict[str, Any]:
        """main.bicep connectorSettings = union(connectorSettingDefaults, connectorSettingsFromParameters, overrides)."""
        union = function(self.main.var("connectorSettings"), "union")
        assert union is not None and list(union.values()) == [
            "connectorSettingDefaults",
            "connectorSettingsFromParameters",
            "settingOverrides",
        ]
        merged: dict[str, Any] = {}
        merged.update(self.connector_setting_defaults)
        merged.update(self.main.var("connectorSettingsFromParameters"))
        return merged
