"""Training, evaluation and model cards: what reproduces the shipped models from ../shared.

Nothing the daemon runs imports this package (`.importlinter` checks it): scoring needs only the
runtimes beside it and the shipped artefacts.
"""
