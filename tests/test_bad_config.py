"""Every config mistake is caught before any job runs: one message, no traceback.

One table drives one test. Each case is the tiny study with one mistake, given either as
top-level keys to replace, as the raw YAML text (for mistakes YAML itself hides, such as a
repeated key) or as `--config` arguments (Snakemake reads the inside of their lists and
mappings as strings). Every case goes through the checks the Snakefile runs (in-process, fast);
the cases in ``THROUGH_SNAKEMAKE``, one of each kind of check, also run the real `snakemake -n`
in a temp workdir, a few at a time because each is mostly Snakemake's start-up. The other
table, ``ACCEPTED``, holds values written as users write them that must mean what they spell.
"""

from __future__ import annotations

import copy
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config

from conftest import REPO, TINY_CONFIG, snakemake, write_config
from lossbench.config import check_yaml_file, validate
from lossbench.plumbing.errors import ConfigError

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
CLEAN_AND_GAUSSIAN = {"clean": {"type": "clean"}, "gaussian": {"type": "gaussian", "sigma": 1.0}}
NAME_RULE = "letters, digits, '_', '.', '+', '-' (no '/', spaces or '..')"
DUPLICATE_LOSS = yaml.safe_dump(TINY_CONFIG, sort_keys=False).replace(
    "  focal_g2:", "  ce:\n    type: mae\n  focal_g2:", 1
)


class Override(tuple):
    """`--config` arguments over the tiny study, each as the shell hands it to Snakemake."""


def with_condition(spec: dict) -> dict:
    """The tiny study's conditions: clean and ``noisy`` with ``spec``."""
    return {"conditions": {"clean": {"type": "clean"}, "noisy": spec}}


#: (case, the mistake: top-level keys replaced, raw YAML text or an Override, what the message
#: must say; text values quoted as given)
CASES = [
    (
        "unknown loss type",
        {"losses": {"ce": {"type": "hinge"}}},
        ["losses.ce.type", "'hinge'", "mae, cross_entropy, focal"],
    ),
    (
        "unknown optimizer type",
        {"optimizers": {"sgd": {"type": "rmsprop", "lr": 0.1}}},
        ["optimizers.sgd.type", "'rmsprop'", "sgd, adam"],
    ),
    (
        "negative gamma",
        {"losses": {"f": {"type": "focal", "gamma": -1}}},
        ["losses.f.gamma", "-1", ">= 0"],
    ),
    (
        "alpha of wrong length",
        {"losses": {"f": {"type": "focal", "gamma": 2, "alpha": [1, 2, 3]}}},
        ["losses.f.alpha", "3 entries", "10 numbers"],
    ),
    ("empty losses", {"losses": {}}, ["losses", "{}", "at least 1 entry"]),
    ("empty optimizers", {"optimizers": {}}, ["optimizers", "{}", "at least 1 entry"]),
    ("empty seeds", {"seeds": []}, ["seeds", "[]", "at least 1 entry"]),
    ("empty datasets", {"datasets": []}, ["datasets", "[]", "at least 1 entry"]),
    ("empty testsets", {"testsets": {}}, ["testsets", "{}", "at least 1 entry"]),
    (
        "unknown dataset",
        {"datasets": ["imagenet"]},
        ["datasets.0", "'imagenet'", "digits, mnist, fashion_mnist, kmnist, cifar10"],
    ),
    ("seed is a string", {"seeds": ["one"]}, ["seeds.0 = 'one'", "integer"]),
    ("seed is a float", {"seeds": [0, 1.5]}, ["seeds.1", "1.5", "integer"]),
    ("repeated seed", {"seeds": [0, 0]}, ["seeds", "[0, 0]", "no repeated items"]),
    ("duplicate loss name", DUPLICATE_LOSS, ["duplicate key 'ce'", "line", "every name must"]),
    ("name with /", {"losses": {"a/b": {"type": "mae"}}}, ["losses", "a/b", NAME_RULE]),
    (
        "name with ..",
        {"optimizers": {"sgd..2": {"type": "adam"}}},
        ["optimizers", "sgd..2", NAME_RULE],
    ),
    (
        "name with space",
        {"testsets": {**CLEAN_AND_GAUSSIAN, "my noise": {"type": "clean"}}},
        ["testsets", "my noise", NAME_RULE],
    ),
    ("zero epochs", {"epochs": 0}, ["epochs", "0", ">= 1"]),
    ("negative epochs", {"epochs": -3}, ["epochs", "-3", ">= 1"]),
    ("zero batch size", {"batch_size": 0}, ["batch_size", "0", ">= 1"]),
    (
        "negative phase epochs",
        {"optimizers": {"p": [{"type": "adam", "epochs": -1}]}},
        ["optimizers.p.0.epochs", "-1", ">= 1"],
    ),
    (
        "phase without epochs",
        {"optimizers": {"p": [{"type": "adam"}]}},
        ["optimizers.p.0.epochs", "missing key"],
    ),
    ("sgd without lr", {"optimizers": {"sgd": {"type": "sgd"}}}, ["optimizers.sgd.lr", "missing"]),
    (
        "negative lr",
        {"optimizers": {"sgd": {"type": "sgd", "lr": -0.1}}},
        ["optimizers.sgd.lr", "-0.1", "> 0"],
    ),
    (
        "negative sigma",
        {"testsets": {"clean": {"type": "clean"}, "gaussian": {"type": "gaussian", "sigma": -0.5}}},
        ["testsets.gaussian.sigma", "-0.5", ">= 0"],
    ),
    (
        "salt_pepper fraction > 1",
        {"testsets": {**CLEAN_AND_GAUSSIAN, "sp": {"type": "salt_pepper", "fraction": 1.5}}},
        ["testsets.sp.fraction", "1.5", "<= 1"],
    ),
    (
        "unknown top-level key",
        {"learning_rate": 0.1},
        ["learning_rate", "batch_size, condition_seed, conditions, data, datasets"],
    ),
    (
        "unknown key in a loss",
        {"losses": {"ce": {"type": "cross_entropy", "gama": 2}}},
        ["losses.ce.gama", "only the keys alpha, type"],
    ),
    (
        "unknown key in an optimizer",
        {"optimizers": {"sgd": {"type": "sgd", "lr": 1, "momentun": 0.9}}},
        ["optimizers.sgd.momentun", "momentum"],
    ),
    ("losses as a list", {"losses": ["ce", "mae"]}, ["losses", '["ce", "mae"]', "type object"]),
    ("epochs as text", {"epochs": "ten"}, ["epochs = 'ten'", "type integer"]),
    ("seeds as a scalar", {"seeds": 3}, ["seeds", "3", "type array"]),
    (
        "deterministic as text",
        {"deterministic": "yes"},
        ["deterministic = 'yes'", "portable, machine, false, true"],
    ),
    (
        "history_testset not a test set",
        {"history_testset": "fog"},
        ["history_testset = 'fog'", "clean, gaussian, salt_pepper_0.1"],
    ),
    (
        "missing offline dataset",
        {"datasets": ["mnist"], "data": {"root": "resources"}},
        ["data.root", "resources", "MNIST/raw/train-images-idx3-ubyte", "data.download: true"],
    ),
    ("unknown device", {"device": "tpu"}, ["device = 'tpu'", "auto, cpu, cuda"]),
    ("zero threads", {"threads": 0}, ["threads", "0", ">= 1"]),
    ("empty data root", {"data": {"root": ""}}, ["data.root = ''", "at least 1 character"]),
    ("zero pack", {"pack": 0}, ["pack", "0", ">= 1"]),
    ("negative pack", {"pack": -4}, ["pack", "-4", ">= 1"]),
    ("pack as a float", {"pack": 2.5}, ["pack", "2.5", "type integer"]),
    ("pack as text", {"pack": "all"}, ["pack", "all", "type integer"]),
    (
        "unknown model type",
        {"model": {"default": {"type": "resnet"}}},
        ["model.default.type = 'resnet'", "mlp, cnn"],
    ),
    (
        "seed typed as no number",
        Override(["seeds=[0,0x]"]),
        ["seeds.1 = '0x' is not allowed; allowed: a value of type integer"],
    ),
    ("repeated seed typed", Override(["seeds=[1,1]"]), ["seeds = [1, 1]", "no repeated items"]),
    (
        "download typed as no boolean",
        Override(["data={download: maybe}"]),
        ["data.download = 'maybe'", "type boolean"],
    ),
    (
        "negative lr typed",
        Override(["optimizers={sgd: {type: sgd, lr: -0.1}}"]),
        ["optimizers.sgd.lr = -0.1", "> 0"],
    ),
    (
        "lr written as no number",
        {"optimizers": {"adam": {"type": "adam", "lr": "1e-3x"}}},
        ["optimizers.adam.lr = '1e-3x'", "type number"],
    ),
    ("integer written as a float", Override(["seeds=[2.0]"]), ["seeds.0 = '2.0'", "integer"]),
    # training conditions
    (
        "symmetric rate of 1",
        with_condition({"type": "symmetric", "rate": 1.0}),
        ["conditions.noisy.rate", "1.0", "< 1"],
    ),
    (
        "symmetric rate where a wrong label beats the right one",
        with_condition({"type": "symmetric", "rate": 0.95}),
        ["conditions.noisy.rate", "0.95", "10 classes", "[0, 0.9)"],
    ),
    (
        "negative noise rate",
        with_condition({"type": "asymmetric", "rate": -0.1}),
        ["conditions.noisy.rate", "-0.1", ">= 0"],
    ),
    (
        "pair naming a class the dataset lacks",
        with_condition({"type": "asymmetric", "rate": 0.2, "pairs": {7: 12}}),
        ["conditions.noisy.pairs", "class 12", "indices 0-9"],
    ),
    (
        "pair mapping a class to itself",
        with_condition({"type": "asymmetric", "rate": 0.2, "pairs": {7: 7}}),
        ["conditions.noisy.pairs", "class 7 to itself", "two different classes"],
    ),
    (
        "asymmetric noise without pairs where none are known",
        {"datasets": ["kmnist"]} | with_condition({"type": "asymmetric", "rate": 0.2}),
        ["conditions.noisy.pairs", "missing", "'kmnist' has no default pairs", "pairs: {0: 6}"],
    ),
    (
        "imbalance ratio below 1",
        with_condition({"type": "imbalance", "ratio": 0.5}),
        ["conditions.noisy.ratio", "0.5", ">= 1"],
    ),
    (
        "imbalance that empties a class",
        with_condition({"type": "imbalance", "ratio": 10000}),
        ["conditions.noisy.ratio", "10000", "without training images", "at most 234"],
    ),
    (
        "unknown condition type",
        with_condition({"type": "blur"}),
        ["conditions.noisy.type", "blur", "clean, symmetric, asymmetric, imbalance"],
    ),
    (
        "unknown key in a condition",
        with_condition({"type": "symmetric", "rate": 0.2, "seed": 3}),
        ["conditions.noisy.seed", "rate, type"],
    ),
    ("negative condition seed", {"condition_seed": -1}, ["condition_seed", "-1", ">= 0"]),
    # learning rates and the validation split
    (
        "empty lr list",
        {"optimizers": {"sgd": {"type": "sgd", "lr": []}}},
        ["optimizers.sgd.lr", "[]", "at least 1 entry"],
    ),
    (
        "zero lr",
        {"optimizers": {"sgd": {"type": "sgd", "lr": 0}}},
        ["optimizers.sgd.lr", "0", "> 0"],
    ),
    (
        "negative lr in a list",
        {"optimizers": {"sgd": {"type": "sgd", "lr": [0.1, -0.1]}}},
        ["optimizers.sgd.lr.1", "-0.1", "> 0"],
    ),
    (
        "fixed_lr not among the rates",
        {"optimizers": {"sgd": {"type": "sgd", "lr": [0.1, 0.3], "fixed_lr": 0.2}}},
        ["optimizers.sgd.fixed_lr", "0.2", "(0.1, 0.3)"],
    ),
    (
        "validation fraction of 0",
        {"data": {"validation_fraction": 0}},
        ["data.validation_fraction", "0", "> 0"],
    ),
    (
        "validation fraction above one half",
        {"data": {"validation_fraction": 0.6}},
        ["data.validation_fraction", "0.6", "<= 0.5"],
    ),
    # the losses of the noisy-label literature
    ("gce with q of 0", {"losses": {"g": {"type": "gce", "q": 0}}}, ["losses.g.q", "0", "> 0"]),
    (
        "class weights on a loss without them",
        {"losses": {"g": {"type": "gce", "alpha": "balanced"}}},
        ["losses.g.alpha", "q, type"],
    ),
    (
        "class weights by an unknown word",
        {"losses": {"c": {"type": "cross_entropy", "alpha": "inverse"}}},
        ["losses.c.alpha", "inverse", "'balanced'"],
    ),
]


#: one case per kind of check: schema enum, type, bound, name pattern, unknown key, repeated
#: YAML key, cross-key rule, offline files, a condition's rule that needs the dataset; and a bad
#: `pack`, which shapes the train rules
THROUGH_SNAKEMAKE = [
    "unknown loss type",
    "seed is a float",
    "negative sigma",
    "name with /",
    "unknown key in an optimizer",
    "duplicate loss name",
    "alpha of wrong length",
    "missing offline dataset",
    "seed typed as no number",
    "zero pack",
    "imbalance that empties a class",
]


def _workdir(workdir: Path, mistake: dict | str | Override) -> Path:
    """``workdir`` with an empty data.root and the config file with ``mistake`` (the tiny
    study's where ``mistake`` is `--config` arguments)."""
    workdir.mkdir()
    (workdir / "resources").mkdir()
    if isinstance(mistake, str):
        (workdir / "config.yaml").write_text(mistake)
    else:
        changed = {} if isinstance(mistake, Override) else mistake
        write_config(workdir, {**copy.deepcopy(TINY_CONFIG), **changed})
    return workdir


def _config_of(workdir: Path, mistake: dict | str | Override) -> dict:
    """The config the Snakefile checks: the file's, with `--config` merged as Snakemake does."""
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    if isinstance(mistake, Override):
        update_config(config, parse_config(mistake))
    return config


def _overrides(mistake: dict | str | Override) -> list[str]:
    return ["--config", *mistake] if isinstance(mistake, Override) else []


def _dry_run(workdir: Path, mistake: dict | str | Override):
    _workdir(workdir, mistake)
    args = ["-n", *_overrides(mistake)]
    return snakemake(workdir, *args, configfile=workdir / "config.yaml", check=False)


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory) -> dict:
    """`snakemake -n` result and workdir of each case in THROUGH_SNAKEMAKE, by case name."""
    root = tmp_path_factory.mktemp("bad_config")
    mistakes = {name: mistake for name, mistake, _ in CASES}
    workdirs = [root / f"case{i}" for i in range(len(THROUGH_SNAKEMAKE))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(_dry_run, workdirs, [mistakes[name] for name in THROUGH_SNAKEMAKE])
        return dict(zip(THROUGH_SNAKEMAKE, zip(results, workdirs, strict=True), strict=True))


@pytest.mark.parametrize(("name", "mistake", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_one_clear_message(name, mistake, expected, tmp_path, monkeypatch, request):
    # the Snakefile's checks, in-process: the YAML file, then the merged config
    workdir = _workdir(tmp_path / "in_process", mistake)
    monkeypatch.chdir(workdir)
    with pytest.raises(ConfigError) as caught:
        check_yaml_file(workdir / "config.yaml")
        validate(_config_of(workdir, mistake), SCHEMA)
    messages = [str(caught.value)]
    if name in THROUGH_SNAKEMAKE:
        result, workdir = request.getfixturevalue("dry_runs")[name]
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert output.count("lossbench: invalid configuration:") == 1, output
        assert "Traceback" not in output
        assert 'File "' not in output
        assert not (workdir / "results").exists()
        messages.append(output[output.index("lossbench: invalid configuration:") :])
    for message in messages:
        for fragment in expected:
            assert fragment in message, f"{fragment!r} missing from: {message}"


SGD = TINY_CONFIG["optimizers"]["sgd"]

#: (case, a value as users write it: top-level keys, YAML text or an Override, the same study
#: written with typed values); Snakemake reads a top-level `--config` scalar itself (epochs=3)
ACCEPTED = [
    ("seeds typed", Override(["seeds=[0,1]"]), {"seeds": [0, 1]}),
    ("download typed", Override(["data={download: true}"]), {"data": {"download": True}}),
    ("deterministic typed", Override(["deterministic=false"]), {"deterministic": False}),
    (
        "optimizer typed",
        Override(["optimizers={sgd: {type: sgd, lr: [0.1, 1e-2], nesterov: True, momentum: .9}}"]),
        {"optimizers": {"sgd": {**SGD, "lr": [0.1, 0.01], "nesterov": True}}},
    ),
    (
        "model and loss typed",
        Override(
            [
                "model={default: {type: cnn, channels: [4, 8], hidden: 16}}",
                "losses={f: {type: focal, gamma: 2, alpha: balanced}}",
            ]
        ),
        {
            "model": {"default": {"type": "cnn", "channels": [4, 8], "hidden": 16}},
            "losses": {"f": {"type": "focal", "gamma": 2, "alpha": "balanced"}},
        },
    ),
    (
        "lr 1e-3 in a YAML file (YAML 1.1 reads it as text)",
        yaml.safe_dump(TINY_CONFIG, sort_keys=False).replace("lr: 0.1", "lr: 1e-3"),
        {"optimizers": {**TINY_CONFIG["optimizers"], "sgd": {**SGD, "lr": 0.001}}},
    ),
]


@pytest.mark.parametrize(("name", "given", "typed"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_values_as_users_type_them_mean_what_they_spell(name, given, typed, tmp_path):
    """The same validated config, so the same job parameters: nothing reruns."""
    workdir = _workdir(tmp_path / "given", given)
    expected = copy.deepcopy(TINY_CONFIG)
    update_config(expected, copy.deepcopy(typed))
    validate(expected, SCHEMA)
    assert validate(_config_of(workdir, given), SCHEMA) == expected


@pytest.mark.parametrize(
    "overrides",
    [
        ["--configfile", "config/mnist.yaml", "--config", "data={download: true}"],
        ["--config", "seeds=[0,1]"],
    ],
    ids=["mnist download", "seeds"],
)
def test_the_readmes_overrides_pass_snakemake(overrides, tmp_path):
    """The README's own command lines, as the shell hands them over (`--config
    data='{download: true}'`, `--config "seeds=[0,1]"`), in a workdir with the checkout's
    config/ (so `configfile:` finds the default study, as in a checkout)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    overrides = [str(tmp_path / a) if a.endswith(".yaml") else a for a in overrides]
    result = snakemake(tmp_path, "-n", *overrides, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "invalid configuration" not in output, output[-3000:]
    assert "train" in output
