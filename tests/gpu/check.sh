#!/usr/bin/env bash
# Train the tiny study on CUDA and on the CPU, compare test accuracies (within --tolerance,
# default 0.02) and print seconds per epoch on each; on CUDA, count host synchronisations and
# train one run twice. Exit 0: all agree; 1: a check failed; 2: no CUDA device.
# --pack N trains the runs in packs of up to N (CUDA: batched, steps replayed as CUDA graphs).
# Usage: tests/gpu/check.sh [--epochs N] [--tolerance T] [--model mlp|cnn] [--pack N]
# PYTHON=... runs it with another interpreter (one that has torch, torchvision, scikit-learn,
# pyyaml and jsonschema); without it, the repository's .venv when there is one, else python3.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fi
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON=python3
    [[ -x "$REPO/.venv/bin/python" ]] && PYTHON="$REPO/.venv/bin/python"
fi
exec "$PYTHON" "$REPO/tests/gpu/gpucheck.py" "$@"
