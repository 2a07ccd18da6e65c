"""Whether the desktop session is locked, where the OS can tell us.

On Windows and macOS a locked screen captures as black (or the grab fails),
which the app already treats as a capture fault. On Linux/X11 a screen grab
of a locked session returns the lock window (a clock, a wallpaper), which
is not blank and would be analysed as if it were the class. There,
systemd-logind's ``LockedHint`` for the current session is asked (GNOME,
KDE, Cinnamon and other lockers set it; ``loginctl show-session``). Where
that is not available (no logind, a locker that does not set it) the answer
is "not locked" and the blank-frame test is the only guard.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

#: Seconds an answer is reused: asking costs a process start (~5 ms), and a
#: reading or two taken after the lock are of the lock window, not a person.
CHECK_EVERY_S = 5.0

LOCKED_MESSAGE = "The screen is locked. Analysis resumes when it is unlocked."


class SessionLock:
    """``locked()`` -> bool, cached for ``every_s`` seconds; gives up asking after the first failure."""

    def __init__(
        self,
        run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
        every_s: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        platform: str = sys.platform,
    ) -> None:
        self._run = run
        self.every_s = every_s
        self._clock = clock
        self._usable = platform.startswith("linux")
        self._answer = False
        self._asked: float | None = None

    def locked(self) -> bool:
        if not self._usable:
            return False
        now = self._clock()
        if self._asked is None or now - self._asked >= self.every_s:
            self._asked = now
            self._answer = self._ask()
        return self._answer

    def _ask(self) -> bool:
        session = os.environ.get("XDG_SESSION_ID", "auto")  # "auto": the caller's own session
        try:
            done = self._run(
                ["loginctl", "show-session", session, "-p", "LockedHint", "--value"],
                capture_output=True, text=True, timeout=2, check=False,
            )
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is None or done.returncode != 0:
            self._usable = False  # no logind here: do not pay for a failing process every few seconds
            return False
        return done.stdout.strip() == "yes"
