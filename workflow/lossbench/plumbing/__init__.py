"""Plumbing every stage uses: atomic writes, user-facing errors, the Snakemake job wrapper and
the pinned numeric code paths. Imports nothing else of lossbench."""
