#!/usr/bin/env bash
# The tiny study made on an emulated CPU must have the very bytes of the committed samples
# (tests/data/rules/, made on an Intel CPU with AVX-512). Default: an AMD EPYC "Milan"
# (Zen 3: AVX2, no AVX-512), emulated by qemu-user, which runs the venv's python on that CPU;
# CPU=Haswell-v4 (Intel, AVX2 only) or any `qemu-x86_64 -cpu help` model works too.
# Installs Debian's qemu-user when missing (as root). About a minute on 2 cores. CI runs it.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CPU=${CPU:-EPYC-Milan}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
if ! command -v qemu-x86_64 >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "emulated.sh: needs qemu-x86_64 (as root: apt-get install qemu-user)" >&2
        exit 2
    fi
    apt-get update -qq && apt-get install -y -qq --no-install-recommends qemu-user >/dev/null
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "emulated CPU: $CPU (qemu-x86_64 $(qemu-x86_64 --version | head -1 | awk '{print $3}'))"
# qemu warns once per host CPU feature its emulator lacks; those lines say nothing here
qemu-x86_64 -cpu "$CPU" "$PYTHON" "$REPO/tests/cross_cpu/cross_cpu.py" make "$OUT" \
    2> >(grep -v "TCG doesn't support requested feature" >&2)
"$PYTHON" "$REPO/tests/cross_cpu/cross_cpu.py" compare "$OUT"
