"""The cross-CPU tool writes what the workflow's jobs write, on this machine's CPU, and its
comparison finds a single flipped byte. Every CI machine thereby checks all of the tiny study's
per-run files against samples another machine made; tests/cross_cpu/emulated.sh does it on
an emulated AMD CPU without AVX-512."""

import shutil

import cross_cpu


def test_one_process_makes_the_bytes_of_the_samples(tmp_path):
    made = cross_cpu.make(tmp_path)
    assert len(made) == len(cross_cpu.files(cross_cpu.SAMPLES)) == 25
    assert cross_cpu.differences(tmp_path, cross_cpu.SAMPLES) == []


def test_a_flipped_byte_or_a_missing_file_is_found(tmp_path):
    shutil.copytree(cross_cpu.SAMPLES, tmp_path, dirs_exist_ok=True)
    run = tmp_path / "results/digits/runs/clean/ce/sgd/lr0.1/seed0"
    history = run / "history.csv"
    data = bytearray(history.read_bytes())
    data[-3] ^= 1
    history.write_bytes(bytes(data))
    (run / "weights.pt").unlink()
    assert cross_cpu.differences(cross_cpu.SAMPLES, tmp_path) == [
        "results/digits/runs/clean/ce/sgd/lr0.1/seed0/history.csv: bytes differ",
        "results/digits/runs/clean/ce/sgd/lr0.1/seed0/weights.pt: missing",
    ]
