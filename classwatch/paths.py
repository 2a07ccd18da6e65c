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


#: Environment variable that moves the settings folder.
CONFIG_DIR_ENV = "CLASSWATCH_CONFIG_DIR"


def _user_dir(
    env: Mapping[str, str] | None,
    platform: str | None,
    override: str,
    windows: tuple[str, str],
    xdg: tuple[str, str],
) -> Path:
    """A per-user folder: the ``override`` variable if set, else the OS convention.

    windows: (environment variable, fallback below the home folder);
    xdg: (XDG variable, fallback below the home folder). macOS always uses
    ``~/Library/Application Support``.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get(override):
        return Path(env[override]).expanduser()
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform.startswith("win"):
        return Path(env.get(windows[0]) or home / windows[1]) / APP_NAME
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    # XDG says a relative XDG_*_HOME is invalid and must be ignored.
    base = env.get(xdg[0], "")
    return (Path(base) if base and Path(base).is_absolute() else home / xdg[1]) / APP_NAME


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
    return _user_dir(env, platform, DATA_DIR_ENV, ("LOCALAPPDATA", "AppData/Local"), ("XDG_DATA_HOME", ".local/share"))


def config_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The per-user settings folder (not created here).

    Linux and other Unix: ``$XDG_CONFIG_HOME/classwatch`` (default
    ``~/.config/classwatch``); macOS: ``~/Library/Application
    Support/classwatch`` (``~/Library/Preferences`` is reserved for the
    system's own preference files); Windows: ``%APPDATA%\\classwatch``, the
    roaming profile, so preferences follow the teacher while recordings stay
    local. ``CLASSWATCH_CONFIG_DIR`` overrides all of them.
    """
    return _user_dir(env, platform, CONFIG_DIR_ENV, ("APPDATA", "AppData/Roaming"), ("XDG_CONFIG_HOME", ".config"))


def default_db_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``<data dir>/sessions.sqlite``."""
    return data_dir(env, platform) / DB_FILENAME


def resolve_db_path(explicit: str | os.PathLike | None = None, setting: str | os.PathLike | None = None) -> Path:
    """The session database to use: ``--db PATH`` beats the settings' path, which beats the default."""
    for choice in (explicit, setting):
        if choice:
            return Path(choice).expanduser()
    return default_db_path()
