"""Regenerate the sample inputs of the rule-level tests (tests/data/rules/).

Runs the tiny study of tests/conftest.py once and keeps the files each rule reads, so every
rule can be tested alone on real data: `python tests/make_rule_samples.py`.
"""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import TINY_CONFIG, snakemake, write_config  # noqa: E402

SAMPLES = Path(__file__).parent / "data" / "rules"
RUN = "runs/*/*/*/*/*"  # condition/loss/optimizer/lr/seed
KEEP = [
    "data.npz",
    "testsets/*.npz",
    "conditions/*.npz",
    *(f"{RUN}/*.{x}" for x in ("csv", "json", "pt")),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = write_config(workdir, TINY_CONFIG)
        snakemake(workdir, "results/digits/tables/runs.csv", configfile=config)
        shutil.rmtree(SAMPLES, ignore_errors=True)
        source = workdir / "results" / "digits"
        for pattern in KEEP:
            for path in source.glob(pattern):
                target = SAMPLES / "results" / "digits" / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    print(f"wrote {sum(1 for p in SAMPLES.rglob('*') if p.is_file())} files under {SAMPLES}")


if __name__ == "__main__":
    main()
