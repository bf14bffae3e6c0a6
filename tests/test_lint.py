"""Style gates CI enforces: ruff, snakefmt and Snakemake's own linter are clean."""

import subprocess

import pytest

from conftest import BIN, REPO


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["snakefmt", "--check", "."],
        ["snakemake", "--lint"],
    ],
    ids=lambda command: " ".join(command),
)
def test_clean(command):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    if command[0] == "snakemake":
        assert "Congratulations, your workflow is in a good condition!" in output
