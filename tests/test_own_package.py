"""A job imports the package of the workflow it belongs to, first, whatever else is installed.

The case from the field: another checkout of lossbench installed editable (``pip install -e``)
into the environment the workflow runs in. Snakemake appends a script's folder to ``sys.path``
after site-packages, so the jobs used to import the other checkout and run code that was not
the code Snakemake tracked. Here the tested workflow's figure module raises; its job must fail
(it runs this workflow's module), while the installed checkout is untouched and would pass.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from test_report import copy_of_repo

from conftest import REPO, TINY_CONFIG, write_config

CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {"sgd": TINY_CONFIG["optimizers"]["sgd"]},
}
FIGURE = "results/digits/figures/clean/calibration.png"


def shared_environment(tmp_path: Path, other: Path) -> Path:
    """A venv that sees this one's packages and has ``other`` installed editable; its python."""
    venv = tmp_path / "venv"
    # without pip of its own: this environment's pip, setuptools, torch, snakemake & co. serve
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", other],
        check=True,
        capture_output=True,
    )
    return python


def test_jobs_import_their_own_workflows_package(tmp_path):
    other = tmp_path / "other"
    shutil.copytree(
        REPO, other, ignore=shutil.ignore_patterns(".*", "results", "tests", "*.egg-info")
    )
    python = shared_environment(tmp_path, other)
    installed = subprocess.run(
        [python, "-c", "import lossbench; print(lossbench.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert installed.startswith(str(other)), installed  # a plain import finds the other one

    tested = copy_of_repo(tmp_path)
    module = tested / "workflow/lossbench/report/figures/calibration.py"
    module.write_text(
        module.read_text() + "\nraise RuntimeError('edited in the tested workflow')\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, CONFIG)
    command = [python, "-m", "snakemake", "-s", tested / "Snakefile", "--directory", work]
    command += ["--configfile", work / "config.yaml", "--cores", "2"]
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    failed = subprocess.run([*command, FIGURE], capture_output=True, text=True, env=env)
    assert failed.returncode != 0, "the job ran the installed checkout's module"
    log = (work / "results/digits/logs/figure/clean/calibration.log").read_text()
    assert "edited in the tested workflow" in log and str(tested) in log
    # the other figures run this workflow's code too, and succeed
    other_figure = "results/digits/figures/clean/test_accuracy.png"
    subprocess.run([*command, other_figure], check=True, capture_output=True, env=env)
