# Validation of the config, wildcard constraints, paths and input functions shared by all rules.
import os
import re
import sys

import yaml

#: this checkout's workflow/ folder, found from this file (workflow.basedir is the main
#: Snakefile's folder: another workflow's when lossbench is used as a module)
LOSSBENCH_PATH = os.path.dirname(workflow.current_basedir.get_path_or_uri(secret_free=True))
if not os.path.isdir(LOSSBENCH_PATH):
    # Snakemake fetches a remote module's rules and scripts, but jobs import the package
    sys.exit(
        f"lossbench: its jobs import the lossbench package from its files, so use it as a module "
        f"from a clone (snakefile: 'path/to/lossbench/Snakefile'), not from {LOSSBENCH_PATH}"
    )
sys.path.insert(0, LOSSBENCH_PATH)

from lossbench import study  # noqa: E402
from lossbench.config import check_yaml_file, validate as validate_config  # noqa: E402
from lossbench.plumbing import numerics, sources  # noqa: E402
from lossbench.plumbing.errors import ConfigError  # noqa: E402
from lossbench.report.figures import FIGURES, SPECS, study_figures  # noqa: E402

with open(os.path.join(LOSSBENCH_PATH, "schemas", "config.schema.yaml")) as _schema:
    CONFIG_SCHEMA = yaml.safe_load(_schema)

try:
    for _path in workflow.configfiles:
        check_yaml_file(_path)
    validate_config(config, CONFIG_SCHEMA)
except ConfigError as _error:
    # One message, no traceback, before any job runs (and so before anything is written).
    sys.exit(f"lossbench: invalid configuration: {_error}")

# Every job imports this workflow's lossbench, whatever else is installed, locally and on
# cluster nodes (where this file runs again) alike.
sources.jobs_import_this_package()
# Every job inherits the pinned numeric code paths of `deterministic: portable` (set before any
# job imports torch; see lossbench.numerics), locally and on cluster nodes alike.
numerics.pin(config["deterministic"])

DATASETS = config["datasets"]
CONDITIONS = list(config["conditions"])
LOSSES = list(config["losses"])
OPTIMIZERS = list(config["optimizers"])
SEEDS = config["seeds"]
TESTSETS = list(config["testsets"])
#: the figures across conditions this study has (per condition, every study has FIGURES)
STUDY_FIGURES = study_figures(config)
# GPUs per train/evaluate job: one when the study asks for CUDA, so a cluster places the job on
# a GPU node (`device: auto` asks for none and uses a GPU only where the job happens to land).
GPUS = 1 if config["device"] == "cuda" else 0
RUN = f"results/{{dataset}}/{study.RUN_DIR}"
#: a run's name in logs and benchmark paths
RUN_NAME = study.RUN_NAME
#: every learning rate of the study, as path labels (a list of them trains one run each)
LRS = sorted({run[3] for run in study.run_grid(config)})


def _one_of(names):
    """A wildcard constraint matching exactly ``names`` (none: nothing, where an empty pattern
    would match everything)."""
    return "|".join(re.escape(str(name)) for name in names) or "(?!)"


wildcard_constraints:
    dataset=_one_of(DATASETS),
    condition=_one_of(CONDITIONS),
    loss=_one_of(LOSSES),
    optimizer=_one_of(OPTIMIZERS),
    lr=_one_of(LRS),
    seed=_one_of(SEEDS),
    testset=_one_of(TESTSETS),


# On a cluster, the rules that import no torch and take seconds run where Snakemake runs: a
# cluster job would pay its submission, its queue wait, its own Snakemake start and up to a
# status-poll interval for each of them, most of a small study's wall time (README, "Run on a
# cluster"). prepare_data is one of them: it is where torchvision downloads (compute nodes often
# have no network). Training and evaluation, the work, are cluster jobs.
localrules:
    prepare_data,
    make_testset,
    make_condition,
    aggregate,
    select_lr,
    summarize,
    figure,
    study_figure,
    benchmarks,
    report,
    compare_datasets,


def code(script, *modules):
    """A digest of the lossbench source files a rule's job runs: every module that
    workflow/scripts/{script}.py imports and the ``modules`` it loads by name, with all they
    import in turn. As a parameter, editing any of them reruns exactly the jobs that run it."""
    path = os.path.join(LOSSBENCH_PATH, "scripts", f"{script}.py")
    return sources.digest(sources.closure(*sources.script_imports(path), *modules))


def run_grid():
    """(condition, loss, optimizer, lr, seed) of every run of the study, in a fixed order."""
    return study.run_grid(config)


def run_keys(run):
    return study.run_fields(run)


def every_run(name, pattern=None):
    """``pattern`` (by default a run's file ``name``) for every run, {dataset} left a wildcard
    (filled from the job's own)."""
    pattern = pattern or f"{RUN}/{name}"
    return [pattern.format(dataset="{dataset}", **run_keys(r)) for r in run_grid()]


def run_names():
    return [RUN_NAME.format(**run_keys(run)) for run in run_grid()]


def evaluate_params(wildcards):
    losses = [run_keys(run)["loss"] for run in run_grid()]
    return study.evaluate_params(config, wildcards.dataset, losses)


def condition_params(wildcards):
    return study.condition_params(config, wildcards.dataset, wildcards.condition)


def dataset_params(wildcards):
    return study.dataset_params(config, wildcards.dataset)


def testset_params(wildcards):
    return study.testset_params(config, wildcards.testset)


def run_of(wildcards):
    """The run of a `pack: 1` train job, as run_grid writes it."""
    return (*(getattr(wildcards, key) for key in study.RUN_FIELDS[:-1]), int(wildcards.seed))


def run_params(dataset, run):
    """What changes one training run's numbers: its study.train_params and its seed."""
    condition, loss, optimizer, lr, seed = run
    return {**study.train_params(config, dataset, loss, optimizer, lr), "seed": seed}


#: the packs of `pack` > 1, each with its runs and the name of its rule (a pack's runs share
#: no wildcard value but {dataset}, so each pack is a rule of its own; see train.smk)
PACKS = [
    {**pack, "runs": study.pack_runs(pack), "rule": f"train_pack_{index}"}
    for index, pack in enumerate(study.packs(config))
]


def pack_files(pack, name):
    """A pack's runs' file ``name``, {dataset} left a wildcard."""
    return [f"{RUN}/{name}".format(dataset="{dataset}", **run_keys(run)) for run in pack["runs"]]


def pack_names(pack):
    """The prefix of each run's log lines: its name, in a pack of several."""
    names = [RUN_NAME.format(**run_keys(run)) for run in pack["runs"]]
    return names if len(names) > 1 else [""]


#: the labels of a run's history.csv in Snakemake's report
RUN_LABELS = {key: f"{{{key}}}" for key in study.RUN_FIELDS}


def train_resources(runs):
    """A train job's memory (MB) and time (minutes) for ``runs`` runs: measured on MNIST, one
    run peaks at ~0.95 GB, mostly torch itself, and a pack adds ~0.1 GB per run; the time
    leaves each run the 2 hours that one job had, ample for MNIST's CNN. The memory grows
    with the attempt: a job killed for its memory (profiles/slurm retries it) gets twice as
    much the second time."""
    mem_mb = 3000 + 100 * (runs - 1)
    return {
        "gpu": GPUS,
        "mem_mb": lambda wildcards, attempt: mem_mb * attempt,
        "runtime": 120 * runs,
    }


#: keys that change no number: left out of the report's config, so editing one reruns nothing
NUMBERLESS = {"threads": None, "data": ("root", "download")}


def study_config():
    """The config as the report shows it: every key but those that change no number, in the
    schema's order (so writing a default out, or keys in another order, changes nothing)."""
    keys = [key for key in CONFIG_SCHEMA["properties"] if key in config]
    shown = {key: config[key] for key in keys if key not in NUMBERLESS}
    shown["data"] = {k: v for k, v in config["data"].items() if k not in NUMBERLESS["data"]}
    return shown


def fixed_lrs():
    """Each optimizer's learning rate of the fixed-hyperparameter answer (None: tuned only)."""
    return {name: study.fixed_lr(entry) for name, entry in config["optimizers"].items()}


def table_study():
    """What a dataset's tables must hold (lossbench.analysis.checked.Study)."""
    return {"grid": run_grid(), "testsets": TESTSETS, "fixed": fixed_lrs()}


RUN_FILES = ["history.csv", "weights.pt", "status.json", "evaluation.csv", "calibration.csv"]
TABLE_NAMES = [
    "history",
    "evaluation",
    "calibration",
    "runs",
    "summary",
    "selected_lr",
    "comparisons",
    "benchmarks",
]


def final_targets(wildcards):
    """Everything the study makes, intermediate files too: after any failure a plain rerun
    rebuilds whatever is missing (a damaged file, once deleted as its message says), not only
    what the report needs."""
    targets = []
    for dataset in DATASETS:
        per_run = [path for name in RUN_FILES for path in every_run(name)]
        targets += expand(
            [
                "results/{dataset}/data.npz",
                *expand("results/{{dataset}}/testsets/{testset}.npz", testset=TESTSETS),
                *expand("results/{{dataset}}/conditions/{condition}.npz", condition=CONDITIONS),
                *per_run,
                *expand("results/{{dataset}}/tables/{table}.csv", table=TABLE_NAMES),
                *expand(
                    "results/{{dataset}}/figures/{condition}/{figure}.png",
                    condition=CONDITIONS,
                    figure=FIGURES,
                ),
                *expand("results/{{dataset}}/figures/{figure}.png", figure=STUDY_FIGURES),
                "results/{dataset}/report.html",
            ],
            dataset=dataset,
        )
    if len(DATASETS) > 1:
        targets += [
            "results/comparison/ranks.csv",
            "results/comparison/ranking.png",
            "results/comparison/findings.md",
        ]
    return targets


# Analysis: each figure depends on its own module, the shared style and the tables it reads.
REPORT_DIR = os.path.join(LOSSBENCH_PATH, "report")


def figure_inputs(wildcards):
    """Exactly the tables a figure reads, and the runs it draws (runs, chosen rates)."""
    names = ["runs", "selected_lr", *SPECS[wildcards.figure].tables]
    return {n: f"results/{wildcards.dataset}/tables/{n}.csv" for n in names}


def figure_code(wildcards):
    """The figure's own module, the shared style and all they import (see ``code``)."""
    return code("figure", f"report.figures.{SPECS[wildcards.figure].module}")


def figure_caption(wildcards):
    with open(os.path.join(REPORT_DIR, "figures", f"{wildcards.figure}.rst")) as handle:
        return handle.read()


def train_benchmarks(dataset):
    """The benchmark TSV of every train job of ``dataset``: one per run, or one per pack."""
    if config["pack"] == 1:
        return [rules.train.benchmark.format(dataset=dataset, **run_keys(r)) for r in run_grid()]
    return [getattr(rules, pack["rule"]).benchmark.format(dataset=dataset) for pack in PACKS]


def benchmark_files(wildcards):
    """The benchmark TSV of every job the report's numbers come from: each rule's own
    ``benchmark:`` pattern, filled in for every job of the dataset."""
    d = wildcards.dataset
    return [
        rules.prepare_data.benchmark.format(dataset=d),
        *(rules.make_testset.benchmark.format(dataset=d, testset=t) for t in TESTSETS),
        *(rules.make_condition.benchmark.format(dataset=d, condition=c) for c in CONDITIONS),
        *train_benchmarks(d),
        rules.evaluate.benchmark.format(dataset=d),
        rules.aggregate.benchmark.format(dataset=d),
        rules.select_lr.benchmark.format(dataset=d),
        rules.summarize.benchmark.format(dataset=d),
        *(
            rules.figure.benchmark.format(dataset=d, condition=c, figure=f)
            for c in CONDITIONS
            for f in FIGURES
        ),
        *(rules.study_figure.benchmark.format(dataset=d, figure=f) for f in STUDY_FIGURES),
    ]
