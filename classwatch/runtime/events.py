"""What a run yields: typed events, and the run states a front end shows for them.

The run loop (``loop.run``) yields these; a front end turns them into what it
shows: the app's worker into Qt signals, the CLI into lines of output.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..pipeline import FrameResult
from ..types import MoodSample


class State(str, Enum):
    """A run as a front end shows it (a str, so it can cross a Qt signal as text)."""

    IDLE = "idle"  # no run (the controller's state before start and after stop)
    STARTING = "starting"  # loading the model, opening the source
    RUNNING = "running"
    PAUSED = "paused"  # paused by the user
    FAULT = "fault"  # paused by a fault, retrying
    STOPPED = "stopped"

    @property
    def active(self) -> bool:
        """Analysing or trying to (Pause pauses it)."""
        return self in (State.STARTING, State.RUNNING, State.FAULT)

    @property
    def in_run(self) -> bool:
        """A run exists, analysing or paused: it can be stopped, and bookmarked."""
        return self not in (State.IDLE, State.STOPPED)


@dataclass
class RunStats:
    """Counters of one run, updated as it goes (read them from any thread)."""

    processed: int = 0
    dropped: int = 0  # sampling ticks skipped because analysis took longer than the interval
    faults: int = 0
    busy_s: float = 0.0  # time spent grabbing + analysing
    last_fault: tuple[str, str] | None = None


@dataclass(frozen=True)
class Starting:
    """The run began: the model is loading and the source opening."""


@dataclass(frozen=True)
class Reading:
    """One analysed frame.

    result: what the pipeline found (for a room, its mood carries the room's coverage).
    wall: the reading's time on the session's axis: the wall clock for a live source,
        the run's origin plus the position in the media for a file.
    index: the frame's index in its source (a folder: which file it is).
    """

    result: FrameResult
    wall: float
    index: int = 0

    @property
    def mood(self) -> MoodSample:
        return self.result.mood


@dataclass(frozen=True)
class Fault:
    """Analysis paused; it is retried after ``retry_s``.

    kind: ``capture`` (region off-screen, monitor gone, screen locked or blank, camera
    unplugged), ``model`` (missing or corrupt), ``input`` (a file or camera that cannot be
    opened), ``internal`` (a bug, logged with its traceback).
    """

    kind: str
    message: str


@dataclass(frozen=True)
class Recovered:
    """The first reading after a fault follows."""


@dataclass(frozen=True)
class Paused:
    """Paused by the user: the source is let go of until ``resume()``."""


@dataclass(frozen=True)
class RecordFailed:
    """The reading that follows was not recorded; analysis goes on."""

    message: str


@dataclass(frozen=True)
class Finished:
    """The run ended: stopped, or a file source came to its end."""

    stats: RunStats


Event = Starting | Reading | Fault | Recovered | Paused | RecordFailed | Finished
