"""lossbench's SGD and Adam give torch.optim's results bit for bit (they exist only to spare
each training job torch.optim's import of torch._dynamo): SGD the single-tensor one's, Adam the
fused one's (``fused=True``), whose square root rounds alike on every CPU."""

import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from conftest import REPO
from lossbench.train import models, optim

SPECS = [
    {"type": "sgd", "lr": 0.1},
    {"type": "sgd", "lr": 0.1, "momentum": 0.9},
    {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    {"type": "adam"},
    {"type": "adam", "lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 1e-2},
]


MODELS = {"mlp": {"type": "mlp", "hidden": [32]}, "cnn": {"type": "cnn", "channels": [4, 8]}}


def _torch_optimizer(spec, parameters):
    options = {k: tuple(v) if k == "betas" else v for k, v in spec.items() if k != "type"}
    if spec["type"] == "adam":
        return torch.optim.Adam(parameters, fused=True, **options)
    return torch.optim.SGD(parameters, foreach=False, **options)


def _train(make_optimizer, spec, steps=25, model="mlp"):
    torch.manual_seed(0)
    model = models.build(MODELS[model], (1, 8, 8), 10)
    optimizer = make_optimizer(spec, model.parameters())
    data = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(16, 1, 8, 8, generator=data), torch.randint(0, 10, (16,), generator=data)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.state_dict(), optimizer


@pytest.mark.parametrize("model", sorted(MODELS))  # the CNN's weights are channels-last
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()))
def test_same_weights_as_torch_optim(spec, model):
    ours, _ = _train(optim.build, spec, model=model)
    theirs, _ = _train(_torch_optimizer, spec, model=model)
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key


@pytest.mark.parametrize("spec", [SPECS[1], SPECS[3]], ids=["sgd", "adam"])
def test_state_survives_a_checkpoint_file(spec, tmp_path):
    _, trained = _train(optim.build, spec, steps=3)
    torch.save(trained.state_dict(), tmp_path / "state.pt")
    _, fresh = _train(optim.build, spec, steps=0)
    fresh.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    saved, loaded = trained.state_dict(), fresh.state_dict()
    assert saved.keys() == loaded.keys()
    for key, value in saved.items():
        if isinstance(value, list):
            assert all(torch.equal(a, b) for a, b in zip(value, loaded[key], strict=True)), key
        else:
            assert value == loaded[key], key


def test_building_an_optimizer_does_not_import_dynamo():
    code = (
        "import sys, torch; from lossbench.train import optim; "
        "opt = optim.build({'type': 'adam'}, [torch.zeros(3, requires_grad=True)]); "
        "opt.params[0].grad = torch.ones(3); opt.step(); "
        "print('torch._dynamo' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False"
