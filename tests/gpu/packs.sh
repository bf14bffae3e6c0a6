#!/usr/bin/env bash
# Every GPU figure and check of packed training in one go, on a machine with one CUDA GPU
# (~6 minutes on an H100 or H200): the GPU check for single runs and for packs of the MLP and
# the CNN, then the benchmark of packs of 1 and 24 (seconds per run-epoch, GPU-busy fraction).
# Usage: tests/gpu/packs.sh [OUT]  (OUT: folder for the logs and bench.json, default: gpu-packs)
# PYTHON=... as for check.sh. Exit status: 0 all passed, 1 a check failed, 2 no CUDA device.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mkdir -p "${1:-gpu-packs}" && cd "${1:-gpu-packs}" && pwd)
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON=python3
    [[ -x "$REPO/.venv/bin/python" ]] && PYTHON="$REPO/.venv/bin/python"
fi
export PYTHON
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  lscpu | grep "Model name"; } | tee "$OUT/machine.txt"
status=0
for check in "mlp 1" "mlp 8" "cnn 8"; do
    read -r model pack <<<"$check"
    echo "== tests/gpu/check.sh --epochs 10 --model $model --pack $pack"
    "$REPO/tests/gpu/check.sh" --epochs 10 --model "$model" --pack "$pack" 2>&1 \
        | tee "$OUT/check_${model}_pack${pack}.txt"
    code=${PIPESTATUS[0]}
    [[ $code == 2 ]] && exit 2
    [[ $code != 0 ]] && status=1
done
echo "== python -m lossbench.bench --device cuda --packs 1,24"
(cd "$REPO/workflow" && "$PYTHON" -m lossbench.bench --device cuda --packs 1,24 --epochs 1 \
    --repeats 2 --json "$OUT/bench.json") 2>&1 | tee "$OUT/bench.txt"
[[ ${PIPESTATUS[0]} != 0 ]] && status=1
exit $status
