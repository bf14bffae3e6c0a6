"""Tables and per-run files are read with their shape checked: a damaged one is named with the
fix (a command), never read as if whole. Built on the sample tables of a real small study."""

import shutil
from types import SimpleNamespace

import pandas as pd
import pytest

from lossbench.analysis import checked
from lossbench.plumbing.errors import DamagedFileError
from lossbench.plumbing.snakejob import job
from sample_analysis import ANALYSIS, STUDY, TIDY, made_from


@pytest.fixture
def tables(tmp_path):
    """The sample tables plus the summary and comparisons made from them, as files."""
    paths = {}
    for name in TIDY:
        paths[name] = tmp_path / f"{name}.csv"
        shutil.copy(ANALYSIS / "tables" / f"{name}.csv", paths[name])
    made = made_from({name: pd.read_csv(path) for name, path in paths.items()})
    for name, frame in made.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def cut(path, keep: float) -> None:
    """Keep the header and the first ``keep`` share of the rows (a truncated copy)."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: 1 + int((len(lines) - 1) * keep)]))


def test_whole_tables_pass(tables):
    read = checked.read_tables(tables, STUDY)
    assert set(read) == set(tables) and all(len(frame) for frame in read.values())


@pytest.mark.parametrize("name", ["history", "evaluation", "calibration", "summary", "comparisons"])
def test_a_table_cut_short_is_named_with_the_command_that_fixes_it(tables, name):
    cut(tables[name], keep=1 / 3)  # the review's summary.csv: 37 of 113 rows
    with pytest.raises(DamagedFileError) as error:
        checked.read_tables(tables, STUDY)
    message = str(error.value)
    assert f"'{tables[name]}'" in message
    assert f"rm '{tables[name]}'" in message and "rerun snakemake" in message


def test_a_run_missing_from_the_runs_table_is_named(tables):
    runs = pd.read_csv(tables["runs"])
    runs.iloc[1:].to_csv(tables["runs"], index=False)
    with pytest.raises(DamagedFileError, match=r"misses runs clean/ce/sgd/0.03/0"):
        checked.read_tables(tables, STUDY)


def test_garbled_bytes_are_a_named_parse_error(tables):
    tables["history"].write_bytes(b'epoch,"phase\n1,\x00\xff\x89PNG,,,"\n' * 3)
    with pytest.raises(DamagedFileError, match=r"cannot read '.*history.csv'"):
        checked.read_tables(tables, STUDY)


def test_a_lost_column_is_named(tables):
    pd.read_csv(tables["summary"]).drop(columns="mean").to_csv(tables["summary"], index=False)
    with pytest.raises(DamagedFileError, match="lacks the column"):
        checked.read_tables(tables, STUDY)


def test_every_error_goes_to_the_jobs_log_with_one_line_on_the_console(tmp_path, capfd):
    log = tmp_path / "job.log"
    snakemake = SimpleNamespace(log=[str(log)])
    with pytest.raises(SystemExit) as exit_info, job(snakemake):
        pd.read_csv(tmp_path / "absent.csv")  # an error no job foresaw
    assert exit_info.value.code == 1
    assert "Traceback" in log.read_text() and "FileNotFoundError" in log.read_text()
    console = capfd.readouterr().err
    assert "error: FileNotFoundError" in console and f"traceback in {log}" in console
    assert "Traceback" not in console
