"""The portable code paths: pinned before torch loads, checked after, and never silently lost."""

import os
import subprocess
import sys

import pytest

from conftest import REPO
from lossbench.plumbing import numerics


def python(code: str, pinned: bool) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter, with or without the portable environment."""
    env = {k: v for k, v in os.environ.items() if k not in numerics.PORTABLE_ENV}
    if pinned:
        env.update(numerics.PORTABLE_ENV)
    env["PYTHONPATH"] = str(REPO / "workflow")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_true_means_portable_and_other_values_are_refused():
    assert numerics.mode(True) == "portable"
    assert numerics.mode("machine") == "machine" and numerics.mode(False) is False
    with pytest.raises(ValueError, match="portable, machine, false"):
        numerics.mode("fast")


def test_pin_sets_the_environment_only_for_portable():
    environ = {}
    numerics.pin("machine", environ)
    assert environ == {}
    numerics.pin("portable", environ)
    assert environ == numerics.PORTABLE_ENV and numerics.pinned(environ)


def test_tests_and_their_torch_run_pinned():
    import torch

    assert numerics.pinned()
    assert torch.backends.cpu.get_cpu_capability() == "AVX2"
    assert numerics.check("portable").startswith("ATen CPU capability AVX2")


def test_pinning_after_torch_is_an_error():
    result = python(
        "import torch; from lossbench.plumbing import numerics; numerics.pin('portable')",
        pinned=False,
    )
    assert result.returncode != 0
    assert "must run before torch is imported" in result.stderr


def test_an_unpinned_portable_job_stops_with_the_reason():
    code = (
        "from lossbench.train import runtime\n"
        "from lossbench.plumbing.errors import LossbenchError\n"
        "try:\n    runtime.configure(1, 'portable')\n"
        "except LossbenchError as err:\n    print(err)"
    )
    result = python(code, pinned=False)
    assert "deterministic: portable, but this process runs unpinned" in result.stdout
    assert "MKL_CBWR=unset" in result.stdout


def test_machine_mode_reports_the_cpus_own_paths():
    code = "from lossbench.train import runtime; print(runtime.configure(1, 'machine'))"
    result = python(code, pinned=False)
    assert result.returncode == 0, result.stderr
    assert "MKL_CBWR=unset" in result.stdout


def test_no_training_op_is_mkls_vector_square_root():
    """torch.sqrt on the CPU is MKL's, which rounds differently on Intel and AMD CPUs: no loss,
    optimizer or evaluation step of the study, nor an epoch of a pack, may call it (a dispatch
    mode lists every op)."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    from lossbench.data import datasets
    from lossbench.train import evaluation, loop, losses, models, optim

    class Ops(TorchDispatchMode):
        seen: set = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.seen.add(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    specs = [{"type": "mae"}, {"type": "cross_entropy"}]
    specs += [{"type": "focal", "gamma": g} for g in (0.5, 2.0)]
    torch.manual_seed(0)
    model = models.build({"type": "mlp", "hidden": [8]}, (1, 8, 8), 10)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
    with Ops() as ops:
        for kind in ("sgd", "adam"):
            optimizer = optim.build({"type": kind, "lr": 0.1, "momentum": 0.9}, model.parameters())
            for spec in specs:
                losses.build(spec)(model(x), y).backward()
                optimizer.step()
                optimizer.zero_grad()
                evaluation.evaluate(model, losses.build(spec), x, y)
        data = datasets.load("digits")
        for kind in ("sgd", "adam"):
            loop.train_pack(
                [loop.Run(spec, seed) for spec in specs for seed in (0, 1)],
                data=data,
                noisy_x=data["test_x"].astype("float32"),
                model_spec={"type": "cnn", "channels": [2], "hidden": 8},
                phases=[{"type": kind, "lr": 0.1, "momentum": 0.9, "epochs": 1}],
                batch_size=256,
                device=torch.device("cpu"),
                log=lambda _: None,
            )
    assert "_fused_adam_" in ops.seen and "pow" in ops.seen  # the ops were seen at all
    assert {"convolution", "max_pool2d_with_indices"} <= ops.seen  # and the pack's
    assert not {"sqrt", "sqrt_"} & ops.seen
