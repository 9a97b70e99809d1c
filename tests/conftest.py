"""Shared fixtures. Unit tests never start Prefect; flow tests ask for the opt-in ``prefect_harness``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "sample"  # a copy of raw/: never the user's folder


@pytest.fixture
def sample_raw(tmp_path: Path) -> Path:
    """A private copy of the sample corpus (the five seed articles, as shipped in raw/)."""
    dst = tmp_path / "raw"
    shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns(".*"))
    return dst


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "clean"


def doc_path(raw: Path, prefix: str) -> Path:
    return next(p for p in sorted(raw.iterdir()) if p.name.startswith(prefix))


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """Opt-in: a throwaway Prefect server and home for the flow tests of this session."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield home
