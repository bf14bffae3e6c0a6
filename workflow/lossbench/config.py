"""Checking a study configuration before any job runs.

Snakemake hands the Snakefile a merged ``config`` dict; :func:`validate` turns every mistake in
it into one :class:`ConfigError` whose message names the key, the bad value and what is
allowed. It uses only the standard library, jsonschema and PyYAML (Snakemake's own
dependencies) so that checking a config costs no torch import.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from .data import conditions
from .data.datasets import DATASETS, missing_files, offline_help
from .plumbing.errors import ConfigError
from .plumbing.numerics import mode as numerics_mode


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ConfigError(
                f"duplicate key '{key}' (line {line} of {node.start_mark.name}): every name "
                f"must appear once; rename or remove one of them"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def check_yaml_file(path: str | Path) -> None:
    """Reject YAML files that are unreadable or repeat a key."""
    try:
        with open(path, encoding="utf-8") as handle:
            yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None


#: plain decimal literals, as YAML 1.2 reads them (YAML 1.1, PyYAML's, wants a dot in ``1.0e-3``
#: and reads ``1e-3`` as text); no hex, ``.inf`` or ``nan``: a number in a config is written out
_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_BOOLEAN = {"true": True, "false": False}
_IS_TYPE = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def coerce(config: dict, schema: dict) -> dict:
    """``config`` (in place) with every string read as the number or boolean that the schema
    asks for at its place, where the string spells one.

    Values arrive as strings where their writer did not mean text: Snakemake reads the inside
    of a ``--config`` list or mapping with YAML's base loader (``seeds=[0,1]`` gives
    ``['0', '1']``), and YAML 1.1 reads ``lr: 1e-3`` as text. Read here, they pass or fail
    validation as the numbers they spell, and give the same job parameters as a YAML file that
    writes them as numbers. A string that spells nothing the place allows stays a string, for
    validation to refuse with the value quoted as given.
    """
    return _coerced(config, [schema], _Schemas(schema))


class _Schemas:
    """The root schema's ``$ref`` targets, and whether a value passes an ``if`` there."""

    def __init__(self, root: dict):
        self.root = root
        self.validator = jsonschema.Draft202012Validator(root)

    def resolve(self, ref: str) -> dict:
        """A local reference such as ``#/$defs/loss`` (the only kind the schema uses)."""
        target = self.root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return target

    def passes(self, value, schema: dict) -> bool:
        return self.validator.evolve(schema=schema).is_valid(value)


def _applying(schemas: list, value, where: _Schemas) -> list[dict]:
    """Every schema that speaks about ``value`` at one place: ``schemas`` and, through
    ``$ref``, ``allOf``, the ``then`` or ``else`` its ``if`` picks, and every alternative of
    ``oneOf`` and ``anyOf``."""
    found = []
    for schema in schemas:
        if not isinstance(schema, dict):  # true or false: says nothing about the type
            continue
        found.append(schema)
        nested = [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]
        if "$ref" in schema:
            nested.append(where.resolve(schema["$ref"]))
        if "if" in schema:
            nested.append(schema.get("then" if where.passes(value, schema["if"]) else "else"))
        found += _applying(nested, value, where)
    return found


def _coerced(value, schemas: list, where: _Schemas):
    applying = _applying(schemas, value, where)
    if isinstance(value, str):
        return _read(value, applying)
    if isinstance(value, dict):
        for key in value:
            value[key] = _coerced(value[key], [_of_key(s, key) for s in applying], where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _coerced(item, [_of_item(s, index) for s in applying], where)
    return value


def _of_key(schema: dict, key: str):
    """The schema of mapping entry ``key`` under ``schema`` (None: it says nothing)."""
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    for pattern, entry in schema.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return entry
    return schema.get("additionalProperties")


def _of_item(schema: dict, index: int):
    """The schema of list item ``index`` under ``schema`` (None: it says nothing)."""
    prefix = schema.get("prefixItems", [])
    return prefix[index] if index < len(prefix) else schema.get("items")


def _read(text: str, applying: list[dict]):
    """``text`` as the first of its readings (itself, an integer, a number, a boolean) that the
    schemas at its place name by type or value; ``text`` when none does."""
    naming = [s for s in applying if {"type", "enum", "const"} & s.keys()]
    readings = [text]
    readings += [int(text)] if _INTEGER.fullmatch(text) else []
    readings += [float(text)] if _NUMBER.fullmatch(text) else []
    readings += [_BOOLEAN[text.lower()]] if text.lower() in _BOOLEAN else []
    for reading in readings:
        if not naming or any(_names(s, reading) for s in naming):
            return reading
    return text


def _names(schema: dict, value) -> bool:
    """Whether ``schema`` allows ``value``'s type, or ``value`` itself for an enum or const
    (bounds and patterns aside: validation checks those). ``1`` is not ``true`` here."""
    if "const" in schema or "enum" in schema:
        allowed = [schema["const"]] if "const" in schema else schema["enum"]
        return any(v == value and type(v) is type(value) for v in allowed)
    types = schema["type"]
    return any(_IS_TYPE[t](value) for t in ([types] if isinstance(types, str) else types))


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _allowed(error: jsonschema.ValidationError) -> str:
    """What the schema allows at the place of ``error``, in words."""
    schema, kind = error.schema, error.validator
    if kind == "enum":  # booleans as YAML writes them
        return "one of " + ", ".join(
            json.dumps(v) if isinstance(v, bool) else str(v) for v in error.validator_value
        )
    if kind == "const":
        return repr(error.validator_value)
    if kind == "type":
        return f"a value of type {error.validator_value}"
    if kind == "minimum":
        return f"a number >= {error.validator_value}"
    if kind == "exclusiveMinimum":
        return f"a number > {error.validator_value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"a number {'<=' if kind == 'maximum' else '<'} {error.validator_value}"
    if kind == "pattern":
        return "a name of letters, digits, '_', '.', '+', '-' (no '/', spaces or '..')"
    if kind in ("minItems", "minProperties"):
        return (
            f"at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}"
        )
    if kind == "minLength":
        return f"a text of at least {error.validator_value} character(s)"
    if kind == "maxItems":
        return f"at most {error.validator_value} items"
    if kind == "uniqueItems":
        return "no repeated items"
    if kind == "additionalProperties":
        return "only the keys " + ", ".join(sorted(schema.get("properties", {}))) or "no keys"
    if kind == "required":
        return "the keys " + ", ".join(error.validator_value)
    if kind == "oneOf":
        return schema.get("description", "one of the forms config/README.md describes")
    return schema.get("description", str(error.validator_value))


def _describe(error: jsonschema.ValidationError) -> str:
    # Look through combinators to the most specific failure, skipping the alternatives whose
    # type does not fit the value at all (a mapping is not meant as a list of phases).
    while error.context:
        fitting = [
            e
            for e in error.context
            if e.validator != "type" or e.absolute_path != error.absolute_path
        ]
        error = jsonschema.exceptions.best_match(fitting or error.context)
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in known)
        return (
            f"unknown key '{_key([*path, unknown[0]])}'; allowed here: {_allowed(error)}"
            if unknown
            else f"{_key(path)}: {error.message}"
        )
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"missing key '{_key([*path, missing[0]])}'; {_key(path)} needs {_allowed(error)}"
    if error.validator == "pattern" and "propertyNames" in error.schema_path:
        return f"bad name {_shown(error.instance)} in {_key(path)}; allowed: {_allowed(error)}"
    return f"{_key(path)} = {_shown(error.instance)} is not allowed; allowed: {_allowed(error)}"


def _shown(value) -> str:
    """A config value as a message shows it: text quoted as given (``'0x'``, ``'1e-3'``), so
    that a string never reads like the number it is not; anything else as JSON."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _schema_errors(config: dict, schema: dict) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(_describe(errors[0]))


def _semantic_errors(config: dict) -> None:
    """Rules that span several keys, which JSON schema cannot say."""
    testsets = config["testsets"]
    if config["history_testset"] not in testsets:
        raise ConfigError(
            f"history_testset = {_shown(config['history_testset'])} is not allowed; allowed: "
            f"one of the configured test sets ({', '.join(testsets)})"
        )
    for name, spec in config["losses"].items():
        alpha = spec.get("alpha")
        for dataset in config["datasets"]:
            classes = DATASETS[dataset].classes
            if isinstance(alpha, list) and len(alpha) != classes:
                raise ConfigError(
                    f"losses.{name}.alpha has {len(alpha)} entries, but dataset '{dataset}' has "
                    f"{classes} classes; allowed: one weight per class ({classes} numbers)"
                )
    for name, entry in config["optimizers"].items():
        if isinstance(entry, dict) and "fixed_lr" in entry:
            rates = entry["lr"] if isinstance(entry["lr"], list) else [entry["lr"]]
            if entry["fixed_lr"] not in rates:
                raise ConfigError(
                    f"optimizers.{name}.fixed_lr = {entry['fixed_lr']} is not allowed; allowed: "
                    f"one of its learning rates ({', '.join(map(str, rates))})"
                )
    data = config["data"]
    for dataset in config["datasets"]:
        for name, spec in config["conditions"].items():
            conditions.check(name, spec, dataset, smallest_training_class(dataset, data))
    if not data["download"]:
        for dataset in config["datasets"]:
            if missing_files(dataset, data["root"]):
                raise ConfigError(offline_help(dataset, data["root"]))


def smallest_training_class(dataset: str, data: dict) -> int:
    """A lower bound of the training images of ``dataset``'s smallest class (before loading
    it): digits holds out ``data.test_fraction`` of its images for testing, and every dataset
    ``data.validation_fraction`` of the rest for validation."""
    smallest = DATASETS[dataset].smallest_class
    held_out = data["test_fraction"] if dataset == "digits" else 0.0
    return int(smallest * (1 - held_out) * (1 - data["validation_fraction"]))


def validate(config: dict, schema: dict) -> dict:
    """``config`` with strings read as the numbers and booleans they spell (:func:`coerce`)
    and defaults filled in, or :class:`ConfigError` for its first mistake."""
    coerce(config, schema)
    _schema_errors(config, schema)
    fill_defaults(config, schema)
    config["deterministic"] = numerics_mode(config["deterministic"])  # true: portable
    _semantic_errors(config)
    return config


def _copy(value):
    return json.loads(json.dumps(value))


def fill_defaults(config: dict, schema: dict) -> dict:
    """Every default of the schema, for keys left out: top level, ``data``, ``analysis``, and
    inside each loss, optimizer (phase), model and test set by its type. So a key written out
    with its default value and one left out give the same job parameters: the same job."""
    for key, prop in schema["properties"].items():
        if "default" in prop and key not in config:
            config[key] = _copy(prop["default"])
    for section in ("data", "analysis"):
        values = config.setdefault(section, {})
        for key, prop in schema["properties"][section]["properties"].items():
            values.setdefault(key, _copy(prop["default"]))
    defs = schema["$defs"]
    entries = [
        *((spec, defs["loss"]) for spec in config.get("losses", {}).values()),
        *((spec, defs["model"]) for spec in config.get("model", {}).values()),
        *((spec, defs["testset"]) for spec in config.get("testsets", {}).values()),
        *(
            (phase, defs["optimizer_phase"])
            for entry in config.get("optimizers", {}).values()
            for phase in (entry if isinstance(entry, list) else [entry])
        ),
    ]
    for spec, definition in entries:
        for key, prop in _properties_of(definition, spec["type"]).items():
            if isinstance(prop, dict) and "default" in prop and key not in spec:
                spec[key] = _copy(prop["default"])
        # one key order, however the YAML was written (Snakemake compares params as written)
        ordered = dict(sorted(spec.items()))
        spec.clear()
        spec.update(ordered)
    return config


def _properties_of(definition: dict, kind: str) -> dict:
    """The properties a ``$defs`` entry allows for its ``type`` ``kind`` (its if/then/else)."""
    for rule in definition.get("allOf", []):
        tested = rule.get("if", {}).get("properties", {}).get("type", {}).get("const")
        if tested == kind:
            return rule["then"].get("properties", {})
        if tested is not None and "else" in rule:
            return rule["else"].get("properties", {})
    return {}
