"""Fixtures: the tiny ballroom folder the training tests use, for the evaluation pipeline."""

from tests.train.conftest import ballroom_dir  # noqa: F401 (a fixture)
