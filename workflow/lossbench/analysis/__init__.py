"""Analysis of finished runs: tidy tables over all runs, per-run metrics, seed statistics and
paired comparisons, the cross-dataset ranks. pandas and scipy, no torch. Imports ``train``
(numpy-only ECE), ``data`` and ``plumbing``."""
