"""lossbench: which loss should I train this classifier with?

Sub-packages by stage, as the workflow's rules are: ``data`` (datasets, test sets, arrays) →
``train`` (losses, models, optimizers, the loop, scoring a model) → ``analysis`` (tidy tables,
metrics, seed statistics) → ``report`` (findings, figures, the HTML report); ``plumbing`` is
below them all. A stage imports only from the stages before it (tested). ``config`` checks a
study's configuration, ``study`` turns it into each job's parameters, ``bench`` measures.
"""
