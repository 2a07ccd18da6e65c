"""The values a recorded session is made of, and how its times are written.

Times are UTC epoch seconds everywhere in memory and in the database,
quantized to the millisecond (see ``quantize_time``), and are only turned
into local wall-clock text at the edges (exports, CLI, report).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from ..errors import SessionError
from ..types import MoodSample, Tracks

MAX_NAME_LENGTH = 100


class SessionStatus(str, Enum):
    RECORDING = "recording"
    ENDED = "ended"
    #: No end was written and no process is recording it any more (killed, crashed, power loss).
    ENDED_UNEXPECTEDLY = "ended-unexpectedly"


@dataclass(frozen=True)
class SessionInfo:
    """Metadata of one session.

    ended_at: when it was closed; for an ``ended-unexpectedly`` session, the
        time of the last thing recorded; None while it is recording.
    settings: the analysis settings in force, as a JSON-compatible dict.
    keeps_tracks: whether per-track numbers were recorded (only when the
        admin policy allowed it at the start of the session).
    sample_count: derived from the samples; ignored when importing.
    """

    name: str
    started_at: float
    ended_at: float | None
    status: SessionStatus
    source: str = ""
    detector: str = ""
    model_name: str = ""
    model_version: str = ""
    settings: dict = field(default_factory=dict)
    app_version: str = ""
    keeps_tracks: bool = False
    sample_count: int = 0

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else max(self.ended_at - self.started_at, 0.0)


@dataclass(frozen=True)
class RecordedSample:
    """One MoodSample as it was recorded: wall_time is UTC epoch seconds.

    tracks: the per-track numbers of that frame, only in sessions that keep them.
    """

    wall_time: float
    sample: MoodSample
    tracks: Tracks | None = None


@dataclass(frozen=True)
class Bookmark:
    wall_time: float
    text: str


@dataclass(frozen=True)
class SessionData:
    """A whole session: what ``SessionStore.load`` returns and the exports take."""

    info: SessionInfo
    samples: list[RecordedSample]
    bookmarks: list[Bookmark]


def quantize_time(epoch: float) -> float:
    """Round to the millisecond.

    Samples arrive about once a second, so nothing is lost, and a millisecond
    value survives the trip through ISO 8601 text exactly: that is what makes
    a JSON export import back into the same session.
    """
    value = float(epoch)
    if not math.isfinite(value):
        raise ValueError(f"time must be finite, got {epoch!r}")
    return round(value, 3)


def local_datetime(epoch: float) -> datetime:
    """The instant as an aware datetime in the machine's local time zone."""
    return datetime.fromtimestamp(epoch, timezone.utc).astimezone()


def to_iso(epoch: float) -> str:
    """ISO 8601 with milliseconds and the local UTC offset, e.g. ``2025-03-04T09:15:00.250+01:00``."""
    return local_datetime(epoch).isoformat(timespec="milliseconds")


def from_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 time that names its UTC offset."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return quantize_time(moment.timestamp())


def auto_name(started_at: float) -> str:
    """The default session name: the local start time, e.g. ``2025-03-04_0915``."""
    return local_datetime(started_at).strftime("%Y-%m-%d_%H%M")


def check_name(name: str) -> str:
    """The name, stripped, or a SessionError saying what is wrong with it."""
    name = name.strip()
    if not name:
        raise SessionError("a session name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise SessionError(f"a session name can have at most {MAX_NAME_LENGTH} characters")
    # Control characters would break the one-line CLI output and the CSV/PDF text.
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise SessionError(f"a session name cannot contain control characters: {name!r}")
    return name


def format_clock(epoch: float) -> str:
    """Local wall-clock time, e.g. ``09:15``."""
    return local_datetime(epoch).strftime("%H:%M")


def format_utc_offset(epoch: float) -> str:
    """The local offset from UTC at that instant, e.g. ``UTC+01:00``."""
    offset = local_datetime(epoch).strftime("%z")  # "+0100"
    return f"UTC{offset[:3]}:{offset[3:]}"


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 05 min``."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
