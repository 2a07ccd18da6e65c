"""Crash safety: kill -9 a recording process, then read what it left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from classwatch.session import SessionStatus, SessionStore

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

# Records a sample every ``pause`` s and reports each one only after append()
# has returned (i.e. after its commit), so every reported sample must survive.
RECORDER = textwrap.dedent(
    """
    import sys, time
    sys.path[:0] = [{repo!r}, {tests!r}]
    from classwatch.session import SessionStore
    from session_samples import make_sample

    writer = SessionStore({db!r}).start_session("killed", started_at=time.time())
    i = 0
    while True:
        now = time.time()
        writer.append(make_sample(i * 0.1, 0.2), now)
        print(i, now, flush=True)
        i += 1
        time.sleep({pause})
    """
)


def _kill_hard(proc: subprocess.Popen) -> None:
    if os.name == "nt":
        proc.kill()  # TerminateProcess: no cleanup runs, like kill -9
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


# 0.1 s: the kill lands between samples, as in the app (one a second);
# 0: samples back to back, so the kill most likely lands inside a commit.
@pytest.mark.parametrize("pause", [0.1, 0.0])
def test_kill_9_while_recording_loses_at_most_the_last_second(tmp_path: Path, pause: float) -> None:
    db = tmp_path / "sessions.sqlite"
    code = RECORDER.format(repo=str(REPO), tests=str(TESTS), db=str(db), pause=pause)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        reported = [proc.stdout.readline() for _ in range(12)]
        assert all(reported), proc.stderr.read()
        with SessionStore(db) as store:  # while it runs, another process sees it recording
            assert store.get("killed").status is SessionStatus.RECORDING
        reported += [proc.stdout.readline() for _ in range(8)]
        # Kill right after a sample was reported, as a power cut could come at any moment.
        kill_time = time.time()
        _kill_hard(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reported += proc.stdout.read().splitlines()  # reported just before the kill
    proc.stdout.close()
    proc.stderr.close()
    last_index = int(reported[-1].split()[0])

    with SessionStore(db) as store:
        data = store.load("killed")
        # A new recording in the same database works as usual.
        with store.start_session("next") as writer:
            writer.append(data.samples[0].sample, time.time())
        assert store.get("next").status is SessionStatus.ENDED

    assert data.info.status is SessionStatus.ENDED_UNEXPECTEDLY
    times = [r.wall_time for r in data.samples]
    # Every sample reported as recorded is there, in order, with nothing missing in between...
    assert len(data.samples) >= last_index + 1
    assert [round(r.sample.t, 1) for r in data.samples] == [round(i * 0.1, 1) for i in range(len(data.samples))]
    # ...up to less than a second before the kill, and the session ends at its last sample.
    assert kill_time - times[-1] < 1.0
    assert data.info.ended_at == times[-1]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert not any((tmp_path / "sessions.sqlite-writers").glob("*.lock")), "the dead writer's lock file is cleaned up"
