"""The config schema's verdict, in sentences that name the key and the fix."""

from __future__ import annotations

import difflib
from typing import Any


def schema_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """One sentence per place where *config* breaks *schema*, naming the key and the fix."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    return [_explain(error) for error in errors]


def _explain(error) -> str:
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path).lstrip(".") or "config"
    value, rule, schema = error.instance, error.validator, error.schema
    if rule == "additionalProperties":
        known = list(schema.get("properties", {}))
        unknown = sorted(set(value) - set(known))
        return "; ".join(_unknown_key(key, name, known) for name in unknown)
    if rule == "enum":
        return f"`{key}` is {value!r}; use one of {', '.join(map(str, error.validator_value))}"
    if rule == "type":
        return f"`{key}` is {value!r}, which is not of type {error.validator_value}"
    if rule in ("minimum", "exclusiveMinimum"):
        bound = "at least" if rule == "minimum" else "greater than"
        return f"`{key}` is {value}; it must be {bound} {error.validator_value}"
    if rule == "pattern" and key == "name":
        return (
            f"`name` is {value!r}; it becomes the folder results/<name>, so use letters, digits, '.', '_' and '-' "
            "only, starting with a letter or digit (no '/', no '..')"
        )
    if rule == "pattern" and "propertyNames" in error.schema_path:
        return f"`{key}` has the key {value!r}; {_explain_name(key)}"
    if rule == "pattern":
        return f"`{key}` is {value!r}, which does not match {error.validator_value}"
    if rule == "propertyNames":
        return f"`{key}` has the key {value!r}; {_explain_name(key)}"
    if rule == "required":
        return f"`{key}` lacks {error.message.split(' is ')[0]}"
    if rule == "oneOf" and key == "config":
        return (
            "give either `molecule` and `model_chemistries`, or `input` (a QCSchema ManyBodyInput JSON file), "
            "not both and not neither; `molecules` (several files) or `crystal` (a CIF) takes the place of `molecule`, "
            "not both"
        )
    if rule in ("minItems", "minProperties"):
        return f"`{key}` is empty; give at least one entry"
    return f"`{key}`: {error.message}"


def _explain_name(key: str) -> str:
    if key == "levels":
        return "`levels` keys are n-body levels (1, 2, ...) or `supersystem`"
    if key == "distance_cutoffs":
        return "`distance_cutoffs` keys are n-body orders 2, 3, ..."
    return "names are letters, digits, '.', '_', '+' and '-', starting with a letter or digit"


def _unknown_key(where: str, name: str, known: list[str]) -> str:
    place = "" if where == "config" else f" in `{where}`"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"
    return f"unknown key `{name}`{place}: {hint}"
