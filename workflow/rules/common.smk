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
from lossbench.plumbing import numerics, sources  # noqa: E402
from lossbench.plumbing.errors import ConfigError  # noqa: E402
from lossbench.report.figures import FIGURES  # noqa: E402

with open(os.path.join(LOSSBENCH_PATH, "schemas", "config.schema.yaml")) as _schema:
    CONFIG_SCHEMA = yaml.safe_load(_schema)

try:
    for _path in workflow.configfiles:
        check_yaml_file(_path)
    validate_config(config, CONFIG_SCHEMA)
except ConfigError as _error:
    # One message, no traceback, before any job runs (and so before anything is written).
    sys.exit(f"lossbench: invalid configuration: {_error}")

# Every job inherits the pinned numeric code paths of `deterministic: portable` (set before any
# job imports torch; see lossbench.numerics), locally and on cluster nodes alike.
numerics.pin(config["deterministic"])

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


def code(script, *modules):
    """The lossbench source files a rule's job runs: every module that
    workflow/scripts/{script}.py imports and the ``modules`` it loads by name, with all they
    import in turn. Editing any of them reruns exactly the jobs that run it."""
    path = os.path.join(workflow.basedir, "workflow", "scripts", f"{script}.py")
    return [str(p) for p in sources.closure(*sources.script_imports(path), *modules)]


def run_grid():
    """(loss, optimizer, seed) of every run of the study, in a fixed order."""
    return [(l, o, s) for l in LOSSES for o in OPTIMIZERS for s in SEEDS]


def every_run(name):
    """File ``name`` of every run, {dataset} left a wildcard (filled from the job's own)."""
    return [
        f"{RUN}/{name}".format(dataset="{dataset}", loss=l, optimizer=o, seed=s)
        for l, o, s in run_grid()
    ]


def evaluate_params(wildcards):
    return study.evaluate_params(config, wildcards.dataset, [loss for loss, _, _ in run_grid()])


def dataset_params(wildcards):
    return study.dataset_params(config, wildcards.dataset)


def testset_params(wildcards):
    return study.testset_params(config, wildcards.testset)


def train_params(wildcards):
    return study.train_params(config, wildcards.dataset, wildcards.loss, wildcards.optimizer)


def study_config():
    """The config as the report shows it: every key but those that change no number."""
    return {key: value for key, value in config.items() if key != "threads"}


def final_targets(wildcards):
    targets = expand("results/{dataset}/report.html", dataset=DATASETS)
    targets += expand("results/{dataset}/figures/{figure}.png", dataset=DATASETS, figure=FIGURES)
    if len(DATASETS) > 1:
        targets += ["results/comparison/ranks.csv", "results/comparison/ranking.png"]
    return targets


# Analysis: each figure depends on its own module, the shared style and the tables it reads.
REPORT_DIR = os.path.join(workflow.basedir, "workflow", "report")


def figure_inputs(wildcards):
    """A figure's own module, the shared style, and exactly the tables it reads."""
    spec = FIGURES[wildcards.figure]
    tables = {n: f"results/{wildcards.dataset}/tables/{n}.csv" for n in spec.tables}
    return {"code": code("figure", f"report.figures.{spec.module}"), **tables}


def figure_caption(wildcards):
    with open(os.path.join(REPORT_DIR, "figures", f"{wildcards.figure}.rst")) as handle:
        return handle.read()


def benchmark_files(wildcards):
    """The benchmark TSV of every job the report's numbers come from: each rule's own
    ``benchmark:`` pattern, filled in for every job of the dataset."""
    d = wildcards.dataset
    grid = [dict(dataset=d, loss=l, optimizer=o, seed=s) for l, o, s in run_grid()]
    return [
        rules.prepare_data.benchmark.format(dataset=d),
        *(rules.make_testset.benchmark.format(dataset=d, testset=t) for t in TESTSETS),
        *(rules.train.benchmark.format(**run) for run in grid),
        rules.evaluate.benchmark.format(dataset=d),
        rules.aggregate.benchmark.format(dataset=d),
        rules.summarize.benchmark.format(dataset=d),
        *(rules.figure.benchmark.format(dataset=d, figure=f) for f in FIGURES),
    ]
