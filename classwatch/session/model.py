"""The values a recorded session is made of, and how its times are written.

Times are UTC epoch seconds everywhere in memory and in the database,
quantized to the millisecond (see ``quantize_time``), and are only turned
into local wall-clock text at the edges (exports, CLI, report).

The times of samples and bookmarks lie on the session's time axis, which
starts at ``started_at``; ``TimeBase`` says what it measures.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field, replace
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


class TimeBase(str, Enum):
    """What the times of a session's samples and bookmarks measure."""

    #: Live capture (screen, camera): the wall-clock time each sample was analysed.
    WALL = "wall"
    #: A video or folder: the session start plus the sample's position in the media.
    #: Analysis runs faster or slower than the media plays, so these times are
    #: not when anything happened; ``ended_at`` stays a wall-clock time.
    MEDIA = "media"


@dataclass(frozen=True)
class SessionInfo:
    """Metadata of one session.

    ended_at: the wall-clock time the recording (or the analysis of a file)
        stopped; for an ``ended-unexpectedly`` session, the time of the last
        thing written; None while it is recording. In a wall-clock session it
        is never earlier than the last sample or bookmark.
    time_base: what sample and bookmark times measure (see TimeBase).
    settings: the analysis settings in force, as a JSON-compatible dict.
    keeps_tracks: whether per-track numbers were recorded (only when the
        admin policy allowed it at the start of the session).
    sample_count: derived from the samples; ignored when importing.
    last_recorded_at: time of the last sample or bookmark, on the session's
        time axis; derived, ignored when importing and by ``==``.
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
    time_base: TimeBase = TimeBase.WALL
    last_recorded_at: float | None = field(default=None, compare=False)

    @property
    def end(self) -> float:
        """The end of the session's time axis: the one definition every view of a session uses.

        Wall clock: when it ended (while recording: its latest sample). Media:
        the position of the last sample, whenever the analysis stopped.
        """
        last = self.started_at if self.last_recorded_at is None else max(self.started_at, self.last_recorded_at)
        if self.time_base is TimeBase.MEDIA or self.ended_at is None:
            return last
        return max(self.ended_at, last)

    @property
    def duration_s(self) -> float:
        """Wall-clock time recorded, or the length of media analysed (``time_base``)."""
        return self.end - self.started_at

    def duration_text(self) -> str:
        """``12 min``, or ``12 min of video`` for a session analysed from a file."""
        text = format_duration(self.duration_s)
        return f"{text} of video" if self.time_base is TimeBase.MEDIA else text

    def format_time(self, epoch: float) -> str:
        """A time on the session's axis for people: the local clock (``09:15``), or
        for media the position in the video (``12:34``), never a made-up clock time."""
        return format_elapsed(epoch - self.started_at) if self.time_base is TimeBase.MEDIA else format_clock(epoch)


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

    def __post_init__(self) -> None:
        # info.last_recorded_at (where SessionInfo.end comes from) follows from the
        # samples and bookmarks: a session made in memory or read from a file
        # then has the same end and duration as one loaded from the store.
        last = max((event.wall_time for event in [*self.samples, *self.bookmarks]), default=None)
        if last != self.info.last_recorded_at:
            object.__setattr__(self, "info", replace(self.info, last_recorded_at=last))


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


def format_elapsed(seconds: float) -> str:
    """A position in a video: ``0:05``, ``12:34``, ``1:02:03``."""
    seconds = max(int(round(seconds, 3)), 0)  # times are milliseconds: 74.9996 is 1:15, not 1:14
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 05 min``."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_count(mean: float) -> str:
    """An average number of things for people: ``none``, ``<0.1``, ``1``, ``2.4``."""
    if mean <= 0:
        return "none"
    if mean < 0.05:
        return "<0.1"
    return f"{mean:.1f}".removesuffix(".0")


def cameras_off_text(mean: float) -> str:
    """``no cameras off``, ``1 camera off on average``, ``2.4 cameras off on average``."""
    count = format_count(mean)
    if count == "none":
        return "no cameras off"
    return f"{count} {'camera' if count == '1' else 'cameras'} off on average"


#: What the attention share measures, in the words of docs/attention.md. Every
#: view that shows the number says this beside it: "attention" alone invites
#: reading it as concentration.
ATTENTION_MEANING = (
    "Attention is the share of participants with their camera on whose head is turned towards the screen: "
    "it measures head orientation only, not concentration or learning (someone taking notes looks away and is "
    "still working)."
)


def attention_text(mean: float | None) -> str:
    """``72% facing the screen on average``, or ``not measured`` for a session without attention shares."""
    if mean is None:
        return "not measured"
    return f"{mean:.0%} facing the screen on average"


def describe_settings(settings: dict) -> str:
    """The analysis settings of a session, for a teacher rather than a programmer:
    ``Expressions read · one reading a second · mood shown from 3 faces``.

    Knows the keys the app and ``analyze --record`` write; others are shown as they are.
    """
    parts = []
    rest = dict(settings)
    rest.pop("detector", None)  # shown on its own line wherever settings are
    # Recorded so sessions can be compared, not for a teacher: the model has its own line
    # (model_name), the rest is tuning nobody chooses in the app.
    for key in ("model", "redetect_s", "find_grid", "num_threads"):
        rest.pop(key, None)
    emotions = rest.pop("emotions", None)
    if emotions is not None:
        parts.append("Expressions read" if emotions else "Presence only (expressions not read)")
    attention = rest.pop("attention", None)
    if attention is not None:
        parts.append("attention read" if attention else "attention off")
    yaw, pitch = rest.get("facing_yaw_deg"), rest.get("facing_pitch_deg")
    if isinstance(yaw, (int, float)) and isinstance(pitch, (int, float)):
        del rest["facing_yaw_deg"], rest["facing_pitch_deg"]
        parts.append(f"facing within {yaw:g}\u00b0 left/right and {pitch:g}\u00b0 up/down")
    every = rest.pop("every_s", rest.pop("every", None))
    if isinstance(every, (int, float)) and every > 0:
        if every == 1:
            parts.append("one reading a second")
        elif every < 1:
            parts.append(f"{1 / every:.3g} readings a second")
        else:
            parts.append(f"one reading every {every:g} s")
    min_faces = rest.pop("min_faces", None)
    if min_faces is not None:
        parts.append(f"mood shown from {min_faces} faces")
    smoothing = rest.pop("smoothing_s", None)
    if isinstance(smoothing, (int, float)) and smoothing > 0:
        parts.append(f"smoothed over {smoothing:g} s")
    parts += [f"{key.replace('_', ' ')} {value}" for key, value in sorted(rest.items())]
    return " \u00b7 ".join(parts)
