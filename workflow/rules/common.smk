# Validation of the config, wildcard constraints, paths and input functions shared by all rules.
import os
import re
import sys

import yaml

LOSSBENCH_PATH = os.path.join(workflow.basedir, "workflow")
sys.path.insert(0, LOSSBENCH_PATH)
# Scripts import the package through the link workflow/scripts/lossbench: Snakemake puts a
# script's folder on its sys.path, locally, in conda environments and on cluster nodes alike.

from lossbench import study  # noqa: E402
from lossbench.config import check_yaml_file, validate as validate_config  # noqa: E402
from lossbench.errors import ConfigError  # noqa: E402

with open(os.path.join(LOSSBENCH_PATH, "schemas", "config.schema.yaml")) as _schema:
    CONFIG_SCHEMA = yaml.safe_load(_schema)

try:
    for _path in workflow.configfiles:
        check_yaml_file(_path)
    validate_config(config, CONFIG_SCHEMA)
except ConfigError as _error:
    # One message, no traceback, before any job runs (and so before anything is written).
    sys.exit(f"lossbench: invalid configuration: {_error}")

DATASETS = config["datasets"]
LOSSES = list(config["losses"])
OPTIMIZERS = list(config["optimizers"])
SEEDS = config["seeds"]
TESTSETS = list(config["testsets"])
# GPUs per train/evaluate job: one when the study asks for CUDA, so a cluster places the job on
# a GPU node (`device: auto` asks for none and uses a GPU only where the job happens to land).
GPUS = 1 if config["device"] == "cuda" else 0
RUN = "results/{dataset}/runs/{loss}/{optimizer}/seed{seed}"


def _one_of(names):
    return "|".join(re.escape(str(name)) for name in names)


wildcard_constraints:
    dataset=_one_of(DATASETS),
    loss=_one_of(LOSSES),
    optimizer=_one_of(OPTIMIZERS),
    seed=_one_of(SEEDS),
    testset=_one_of(TESTSETS),


def package(*modules):
    """Package modules a rule's results depend on, so editing one reruns that rule's jobs."""
    return [os.path.join(LOSSBENCH_PATH, "lossbench", f"{m}.py") for m in modules]


def run_grid():
    """(loss, optimizer, seed) of every run of the study, in a fixed order."""
    return [(l, o, s) for l in LOSSES for o in OPTIMIZERS for s in SEEDS]


def run_files(name):
    """Input function: file ``name`` of every run of ``wildcards.dataset``."""

    def files(wildcards):
        return [
            f"{RUN}/{name}".format(dataset=wildcards.dataset, loss=l, optimizer=o, seed=s)
            for l, o, s in run_grid()
        ]

    return files


def dataset_params(wildcards):
    return study.dataset_params(config, wildcards.dataset)


def testset_params(wildcards):
    return study.testset_params(config, wildcards.testset)


def train_params(wildcards):
    return study.train_params(config, wildcards.dataset, wildcards.loss, wildcards.optimizer)


def evaluate_params(wildcards):
    return study.evaluate_params(config, wildcards.dataset, wildcards.loss)


def final_targets(wildcards):
    targets = expand("results/{dataset}/tables/runs.csv", dataset=DATASETS)
    if len(DATASETS) > 1:
        targets += ["results/comparison/ranks.csv", "results/comparison/ranking.png"]
    return targets
