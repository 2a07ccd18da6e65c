"""Shared test fixtures: paths to the repository, its demo assets and the optional shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt tests never need a real display; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_VIDEO = REPO / "assets" / "demo" / "zoom_gallery_4tiles.mp4"
FER_NPZ = SHARED_DATA / "fer2013" / "fer2013_trainval.npz"


@pytest.fixture
def fer_npz() -> Path:
    if not FER_NPZ.is_file():
        pytest.skip("shared FER2013 data not present")
    return FER_NPZ


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path_factory, monkeypatch):
    """Keep every test away from the real user's settings, sessions and any system policy."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("CLASSWATCH_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CLASSWATCH_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("CLASSWATCH_POLICY", raising=False)
