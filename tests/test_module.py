"""lossbench used as a Snakemake module by another workflow gives the bytes of a direct run.

The host workflow is what ``snakedeploy deploy-workflow`` writes (and the README shows): its own
Snakefile in another folder, ``module lossbench: snakefile: <checkout>/Snakefile; config:
config`` and ``use rule * from lossbench``, its config in ``config/config.yaml``. Everything the
workflow finds by path (its package, schema, scripts, report templates) must be found from the
checkout, not from the host's folder, and every job's parameters must be those of a direct run.
"""

from __future__ import annotations

import subprocess

import yaml

from conftest import BIN, REPO, SNAKEMAKE_ENV, TINY_CONFIG, snakemake, write_config

HOST_SNAKEFILE = f"""\
configfile: "config/config.yaml"


module lossbench:
    snakefile:
        "{REPO / "Snakefile"}"
    config:
        config


use rule * from lossbench
"""

#: results that must match byte for byte; the compute-cost table holds seconds, the report the
#: wall time and the figures are drawn from the tables compared here
COMPARED = {".csv", ".json", ".npz", ".pt"}


def _results(workdir):
    root = workdir / "results"
    return {
        path.relative_to(root): path.read_bytes()
        for path in root.rglob("*")
        if path.suffix in COMPARED and path.name != "benchmarks.csv"
    }


def test_a_host_workflow_importing_lossbench_as_a_module_gets_the_same_bytes(tmp_path):
    host, direct = tmp_path / "host", tmp_path / "direct"
    (host / "config").mkdir(parents=True)
    direct.mkdir()
    (host / "Snakefile").write_text(HOST_SNAKEFILE)
    config = write_config(host / "config", TINY_CONFIG)

    # the host's own Snakefile and default target, started in the host's folder
    result = subprocess.run(
        [BIN / "snakemake", "--cores", "2"],
        cwd=host,
        capture_output=True,
        text=True,
        env=SNAKEMAKE_ENV,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (host / "results/digits/report.html").exists()

    snakemake(direct, configfile=write_config(direct, TINY_CONFIG))
    hosted, made = _results(host), _results(direct)
    assert hosted.keys() == made.keys()
    names = {path.name for path in made}
    assert {"history.csv", "evaluation.csv", "runs.csv", "summary.csv"} <= names
    assert len([path for path in made if path.name == "history.csv"]) == 5  # 4 runs + table
    for path, data in made.items():
        assert hosted[path] == data, path

    # the same jobs with the same parameters (code digests included): a direct run of the
    # checkout in the host's folder finds nothing to do
    rerun = snakemake(host, "-n", configfile=config)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr, rerun.stdout[-3000:]


def test_the_workflow_catalogs_usage_file_says_what_it_reads():
    """The keys the catalog's generator reads (usage: mandatory-flags, software-stack-deployment,
    report), with a conda environment that every rule names."""
    usage = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert {"desc", "flags"} <= usage["mandatory-flags"].keys()
    deployment = usage["software-stack-deployment"]
    assert all(isinstance(value, bool) for value in deployment.values())
    assert deployment["conda"] and usage["report"] is True
    rules = "".join(path.read_text() for path in (REPO / "workflow/rules").glob("*.smk"))
    assert rules.count('conda:\n        "../../envs/lossbench.yaml"') == rules.count("\nrule ")
