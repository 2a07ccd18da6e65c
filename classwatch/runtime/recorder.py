"""One recorder for every front end: the readings of a run as one session, with how they were made.

The app and ``analyze --record`` record the same metadata (``SessionSpec``):
the source, every field of the pipeline configuration, the sampling rate and
the time base, so sessions from either can be compared.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath

from ..pipeline import FrameResult, PipelineConfig
from ..session import SessionStore, SessionWriter, TimeBase


def session_settings(config: PipelineConfig, every_s: float, extra: Mapping | None = None) -> dict:
    """The settings dict a session records (``session.model.describe_settings`` reads it):
    the sampling rate, every field of ``config`` (paths as text) and what the source adds."""
    out: dict = {"every_s": float(every_s)}
    out.update((key, str(value) if isinstance(value, PurePath) else value) for key, value in asdict(config).items())
    if not config.attention:  # the facing limits mean nothing while attention is not read
        del out["facing_yaw_deg"], out["facing_pitch_deg"]
    out.update(extra or {})
    return out


@dataclass(frozen=True)
class SessionSpec:
    """What a session records about how it was made.

    source: what was read, for people ("camera 0", "screen region ...", a file's path).
    time_base: WALL for a live source, MEDIA for a file (see ``session.TimeBase``).
    keep_tracks: record per-track numbers; pass the admin policy's answer.
    name: None names the session after its start time.
    extra: settings the source adds, e.g. a room's ``class_size``.
    """

    source: str
    config: PipelineConfig
    every_s: float
    time_base: TimeBase = TimeBase.WALL
    keep_tracks: bool = False
    name: str | None = None
    extra: Mapping = field(default_factory=dict)

    @property
    def settings(self) -> dict:
        return session_settings(self.config, self.every_s, self.extra)


def model_identity(pipeline: object) -> tuple[str, str]:
    """(name, version) of the expression model a pipeline runs; empty when it runs none."""
    card = getattr(getattr(pipeline, "classifier", None), "card", None)
    return (card.name, card.version) if card is not None else ("", "")


class Recorder:
    """Records the readings of one run as one session.

    The session is started with the first reading, so a run that never produced
    one leaves no empty session behind; bookmarks made before it are kept and
    written then. Thread-safe: readings come from the run's thread, bookmarks
    from the window's. ``close()`` ends the session.

    started_at: the session's start (a file run: the ``origin`` given to ``loop.run``);
        None starts it at the first reading.
    """

    def __init__(self, db_path: Path, spec: SessionSpec, started_at: float | None = None) -> None:
        self.db_path = Path(db_path)
        self.spec = spec
        self.started_at = started_at
        self._lock = threading.Lock()
        self.writer: SessionWriter | None = None
        self.pending: list[tuple[float, str]] = []
        self.closed = False

    @property
    def name(self) -> str | None:
        return self.writer.name if self.writer else None

    def _ensure(self, wall: float, pipeline: object) -> SessionWriter:
        with self._lock:
            if self.closed:
                raise RuntimeError("recorder closed")
            if self.writer is None:
                spec = self.spec
                model_name, model_version = model_identity(pipeline)
                started_at = wall if self.started_at is None else self.started_at
                with SessionStore(self.db_path) as store:
                    self.writer = store.start_session(
                        spec.name, started_at=started_at, source=spec.source, detector=spec.config.detector,
                        model_name=model_name, model_version=model_version, settings=spec.settings,
                        keep_tracks=spec.keep_tracks, time_base=spec.time_base,
                    )
                self.started_at = started_at
                pending, self.pending = self.pending, []
                for when, text in pending:
                    self.writer.bookmark(when, text)
            return self.writer

    def record(self, result: FrameResult, wall: float, pipeline: object = None) -> None:
        """Append one reading (committed before it returns); ``pipeline`` names the model on the first."""
        writer = self._ensure(wall, pipeline)
        writer.append(result.mood, wall, result.tracks)  # the writer keeps them only if the session does

    def bookmark(self, wall: float, text: str) -> None:
        with self._lock:
            if self.writer is None:
                self.pending.append((wall, text))
                return
            writer = self.writer
        writer.bookmark(wall, text)

    def close(self, discard: bool = False) -> None:
        """End the session; ``discard`` deletes it (a file run that failed: the same command can run again)."""
        with self._lock:
            self.closed = True
            writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()
        if discard:
            with SessionStore(self.db_path) as store:
                store.delete(writer.name)
