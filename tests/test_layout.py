"""The package is laid out by stage, as the rules are, and imports only downwards; each rule's
code inputs are every module its job runs (the closure of its imports), no more."""

import ast
from pathlib import Path

import pytest

from conftest import REPO
from lossbench.plumbing import sources

PACKAGE = REPO / "workflow" / "lossbench"
#: the stages, lowest first: a module may import its own stage and those before it
STAGES = ["plumbing", "data", "train", "analysis", "report"]
#: modules at the top, which read the config or measure: no stage imports them
TOP = {"config", "study", "bench", "progress"}


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_modules():
    return [
        (stage, module_of(path))
        for stage in STAGES
        for path in sorted((PACKAGE / stage).rglob("*.py"))
    ]


@pytest.mark.parametrize(("stage", "module"), stage_modules(), ids=lambda x: x)
def test_a_stage_imports_only_itself_and_the_stages_below(stage, module):
    allowed = set(STAGES[: STAGES.index(stage) + 1])
    for imported in sources.imports(module):
        assert imported not in TOP, f"{module} imports the top-level module {imported}"
        assert imported == "" or imported.split(".")[0] in allowed, (
            f"{module} ({stage}) imports {imported}, a later stage"
        )


def test_every_module_lives_in_a_stage_or_at_the_top():
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert top == TOP
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        STAGES
    )


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_lives_there_and_what_it_imports(stage):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
    assert doc and len(doc.splitlines()) >= 2 and "import" in doc.lower()


def test_a_jobs_code_is_the_closure_of_its_imports():
    files = {str(p.relative_to(PACKAGE)) for p in sources.closure("report.figures.calibration")}
    # its own module, what it imports directly and indirectly, and the packages on the way
    assert {
        "report/figures/calibration.py",
        "report/figures/style.py",
        "train/ece.py",
        "analysis/metrics.py",
        "plumbing/atomic.py",
        "__init__.py",
        "report/__init__.py",
        "report/figures/__init__.py",
    } <= files
    # but no module it never runs
    assert not files & {"train/loop.py", "report/figures/summary_heatmap.py", "report/html.py"}
    train = {
        str(p.relative_to(PACKAGE))
        for p in sources.closure(
            *sources.script_imports(REPO / "workflow" / "scripts" / "train.py")
        )
    }
    assert {"train/loop.py", "train/optim.py", "train/losses.py", "data/arrays.py"} <= train
    assert not any(name.startswith(("analysis/", "report/")) for name in train)
