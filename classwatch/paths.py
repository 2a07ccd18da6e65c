"""Where classwatch keeps the user's own files (the session database).

Bundled, read-only files (models, assets) are found by ``resources.py``;
this module is about per-user data that classwatch writes. One function per
question, so the CLI, the app and the tests agree on the same place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "classwatch"

#: Environment variable that moves the whole data folder (tests, portable installs).
DATA_DIR_ENV = "CLASSWATCH_DATA_DIR"

DB_FILENAME = "sessions.sqlite"


def data_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The per-user data folder (not created here).

    Linux and other Unix: ``$XDG_DATA_HOME/classwatch`` (default
    ``~/.local/share/classwatch``); macOS: ``~/Library/Application
    Support/classwatch``; Windows: ``%LOCALAPPDATA%\\classwatch``. Local, not
    roaming, on Windows: recordings of a class should not follow a teacher's
    profile onto other machines. ``CLASSWATCH_DATA_DIR`` overrides all of them.

    ``env`` and ``platform`` default to ``os.environ`` and ``sys.platform``;
    they are parameters so every OS can be tested on any OS.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser()
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP_NAME
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    # XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_NAME


def default_db_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``<data dir>/sessions.sqlite``."""
    return data_dir(env, platform) / DB_FILENAME


def resolve_db_path(explicit: str | os.PathLike | None = None, setting: str | os.PathLike | None = None) -> Path:
    """The session database to use: ``--db PATH`` beats the settings' path, which beats the default."""
    for choice in (explicit, setting):
        if choice:
            return Path(choice).expanduser()
    return default_db_path()
