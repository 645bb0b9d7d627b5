"""Shared test setup. Settings already gave this run a throwaway data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("TRADEINBOX_CORPORA", REPO.parent / "shared" / "corpora"))
ARTIFACTS = REPO / "test-artifacts"


def corpus(name: str) -> Path:
    """The path of a shared corpus folder; skips the test when it is absent."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"corpus {name} not found under {CORPORA}")
    return path


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def data_dir() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR)


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request leaves its language active on the thread (LocaleMiddleware and the users'
    preferences activate, nothing resets), and the core's texts go through gettext: the
    next test starts with no active language, like a worker job or a command."""
    yield
    from django.utils import translation

    translation.deactivate()
