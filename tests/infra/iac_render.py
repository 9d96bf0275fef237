"""Render the KQL of the alert rules and saved searches of both IaC trees to plain text, so the tests can
compare them: the Bicep's (operations.bicep, format() + app-events.json) and the Terraform module's
(operations.tf heredocs with ${local...} interpolations). Parameters stay as {name} placeholders."""

from __future__ import annotations

import re
from typing import Any

from bicep_model import Infra, accessor, function

OPERATIONS = "modules/operations.bicep"
# Terraform interpolation -> the Bicep parameter it stands for (placeholders on both sides).
TERRAFORM_PARAMETERS = {"var.held_order_alert_minutes": "heldOrderAlertMinutes", "local.erp_host": "erpHost"}


def _resolve_argument(infra: Infra, argument: Any) -> str:
    name = accessor(argument)
    assert name is not None, argument
    events = infra.events
    if name == "eventField":
        return str(events["dimension"])
    if name.startswith("events."):
        return str(events["events"][name.removeprefix("events.")])
    if name.startswith("fields."):
        return str(events["fields"][name.removeprefix("fields.")])
    return "{" + name + "}"  # a module parameter


def bicep_query(infra: Infra, var_name: str) -> str:
    ops = infra.file(OPERATIONS)
    value = ops.var(var_name)
    fmt = function(value, "format")
    if fmt:
        args = [_resolve_argument(infra, v) for k, v in fmt.items() if k != "format_string"]
        return re.sub(r"\{(\d+)\}", lambda m: args[int(m[1])], fmt["format_string"])
    assert isinstance(value, str), var_name
    text = value.replace("\\n", "\n")

    def inline(match: re.Match[str]) -> str:
        ref = match[1]
        return bicep_query(infra, ref) if ref in ops.variables else "{" + ref + "}"

    return re.sub(r"\$\{(\w+)\}", inline, text)


def terraform_text(infra: Infra, text: str) -> str:
    events = infra.events

    def inline(match: re.Match[str]) -> str:
        ref = match[1]
        if ref == "local.event_field":
            return str(events["dimension"])
        if ref.startswith("local.events."):
            return str(events["events"][ref.removeprefix("local.events.")])
        if ref.startswith("local.fields."):
            return str(events["fields"][ref.removeprefix("local.fields.")])
        if ref in TERRAFORM_PARAMETERS:
            return "{" + TERRAFORM_PARAMETERS[ref] + "}"
        if ref.startswith("local.kql."):
            return "{" + ref + "}"
        raise AssertionError(f"unexpected interpolation ${{{ref}}} in a Terraform query")

    return re.sub(r"\$\{([\w.]+)\}", inline, text)


def normalized(kql: str) -> str:
    return " ".join(kql.split())
