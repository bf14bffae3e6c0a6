"""A digest of a job's parameters and input files: what a checkpoint belongs to."""

from __future__ import annotations

import hashlib
import json


def fingerprint(params: dict, *files: str) -> str:
    """A digest of a job's parameters and input files (for checkpoints of that very job)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for path in files:
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()
