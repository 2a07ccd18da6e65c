"""Session-lock detection (logind LockedHint on Linux), with a fake process runner."""

from __future__ import annotations

import subprocess

from classwatch.screenlock import SessionLock


class Runner:
    def __init__(self, stdout="no\n", returncode=0, error: Exception | None = None) -> None:
        self.stdout, self.returncode, self.error = stdout, returncode, error
        self.calls: list[list[str]] = []

    def __call__(self, cmd, **kwargs):
        self.calls.append(cmd)
        if self.error:
            raise self.error
        return subprocess.CompletedProcess(cmd, self.returncode, self.stdout, "")


def test_reads_logind_locked_hint_and_caches_it(monkeypatch):
    monkeypatch.setenv("XDG_SESSION_ID", "c2")
    now = [0.0]
    run = Runner("yes\n")
    lock = SessionLock(run, every_s=5.0, clock=lambda: now[0], platform="linux")
    assert lock.locked()
    assert run.calls == [["loginctl", "show-session", "c2", "-p", "LockedHint", "--value"]]
    run.stdout = "no\n"
    now[0] = 4.0
    assert lock.locked() and len(run.calls) == 1  # cached
    now[0] = 5.0
    assert not lock.locked() and len(run.calls) == 2


def test_no_logind_means_not_locked_and_stops_asking():
    for run in (Runner(error=FileNotFoundError("loginctl")), Runner(returncode=1),
                Runner(error=subprocess.TimeoutExpired("loginctl", 2))):
        now = [0.0]
        lock = SessionLock(run, every_s=1.0, clock=lambda: now[0], platform="linux")
        assert not lock.locked()
        now[0] = 10.0
        assert not lock.locked() and len(run.calls) == 1


def test_other_systems_are_not_asked():
    run = Runner("yes\n")
    for platform in ("win32", "darwin"):
        assert not SessionLock(run, platform=platform).locked()
    assert run.calls == []
