"""The config schema documents every key: each property has a description and a default, the
Snakemake workflow catalog's parameter table (it reads ``properties``, nested ones too); each
default passes the schema, and where the default study sets a key, it is that key's value."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from conftest import REPO

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
DEFAULT_STUDY = yaml.safe_load((REPO / "config/config.yaml").read_text())


def properties(schema: dict, path: tuple = ()):
    """(key path, schema) of every property, nested ones after their parent."""
    for name, prop in schema.get("properties", {}).items():
        yield (*path, name), prop
        yield from properties(prop, (*path, name))


PROPERTIES = list(properties(SCHEMA))
IDS = [".".join(path) for path, _ in PROPERTIES]


@pytest.mark.parametrize(("path", "prop"), PROPERTIES, ids=IDS)
def test_every_property_has_a_description_and_a_valid_default(path, prop):
    assert prop.get("description"), f"{'.'.join(path)} has no description"
    assert "default" in prop, f"{'.'.join(path)} has no default"
    validator = jsonschema.Draft202012Validator(SCHEMA).evolve(schema=prop)
    errors = [error.message for error in validator.iter_errors(prop["default"])]
    assert not errors, f"the default of {'.'.join(path)} fails its own schema: {errors}"


def set_by_default_study(path: tuple) -> bool:
    """Whether config/config.yaml gives the key at ``path`` a value of its own (not a section)."""
    value = DEFAULT_STUDY
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return not isinstance(value, dict)


SET = [(path, prop) for path, prop in PROPERTIES if set_by_default_study(path)]


@pytest.mark.parametrize(("path", "prop"), SET, ids=[".".join(path) for path, _ in SET])
def test_a_default_is_the_default_studys_value(path, prop):
    value = DEFAULT_STUDY
    for key in path:
        value = value[key]
    assert prop["default"] == value
