"""The run layer, shared by the CLI, the app and the benchmarks; no Qt.

``loop.run`` analyses frames from any source and yields typed ``events``;
``recorder.Recorder`` records the readings of a run as one session.
"""

from .events import Event, Fault, Finished, Paused, Reading, RecordFailed, Recovered, RunStats, Starting, State
from .looping import LoopingSource
from .loop import RETRY_S, Clock, RunControl, SystemClock, blank_message, classify, is_blank, run
from .recorder import Recorder, SessionSpec, model_identity, session_settings

__all__ = [
    "Clock", "Event", "Fault", "Finished", "LoopingSource", "Paused", "RETRY_S", "Reading", "RecordFailed",
    "Recorder", "Recovered", "RunControl", "RunStats", "SessionSpec", "Starting", "State", "SystemClock",
    "blank_message", "classify", "is_blank", "model_identity", "run", "session_settings",
]
