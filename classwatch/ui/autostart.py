"""Start on login: the per-OS entry that starts ``classwatch app`` when the teacher logs in.

Linux (and other XDG desktops): ``~/.config/autostart/classwatch.desktop``.
macOS: a LaunchAgent ``~/Library/LaunchAgents/org.classwatch.app.plist``.
Windows: the value ``classwatch`` under ``HKCU\\...\\CurrentVersion\\Run``.

No Qt here; paths and the platform are parameters so every OS is testable anywhere.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

LABEL = "org.classwatch.app"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def app_command() -> list[str]:
    """How to start the app: the frozen executable, or this Python with ``-m classwatch app``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "classwatch", "app"]


def entry_path(platform: str | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The file that makes the app start on login (None on Windows: it is a registry value)."""
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if platform.startswith("win"):
        return None
    if platform == "darwin":
        return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    return base / "autostart" / "classwatch.desktop"


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\nType=Application\nName=classwatch\n"
        "Comment=Anonymous class-mood readings from a video-call gallery\n"
        f"Exec={shlex.join(command)}\nIcon=classwatch\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(command: list[str]) -> str:
    args = "".join(f"    <string>{escape(a)}</string>\n" for a in command)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key>\n  <string>{LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{args}  </array>\n"
        "  <key>RunAtLoad</key>\n  <true/>\n</dict>\n</plist>\n"
    )


def set_autostart(enabled: bool, command: list[str] | None = None, platform: str | None = None,
                  env: Mapping[str, str] | None = None) -> None:
    """Create or remove the login entry; OSError if it cannot be written."""
    platform = sys.platform if platform is None else platform
    command = app_command() if command is None else command
    if platform.startswith("win"):  # pragma: no cover - Windows only
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if enabled:
                winreg.SetValueEx(key, "classwatch", 0, winreg.REG_SZ, " ".join(f'"{c}"' for c in command))
            else:
                try:
                    winreg.DeleteValue(key, "classwatch")
                except FileNotFoundError:
                    pass
        return
    path = entry_path(platform, env)
    assert path is not None
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = launch_agent(command) if platform == "darwin" else desktop_entry(command)
    path.write_text(text, encoding="utf-8")


def is_enabled(platform: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):  # pragma: no cover - Windows only
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, "classwatch")
            return True
        except OSError:
            return False
    path = entry_path(platform, env)
    return bool(path and path.is_file())
