"""Training and scoring a model: losses, models, optimizers, the training loop, where a job
computes, weights files, and the common yardsticks of a trained model. Imports ``data`` and
``plumbing``."""
