"""Recorded sessions: the SQLite store, review summaries, exports and their CLI.

Core code: nothing here imports Qt (the PDF report lives in ``classwatch.ui``).
"""

from .model import Bookmark, RecordedSample, SessionData, SessionInfo, SessionStatus, TimeBase
from .database import SCHEMA_VERSION
from .store import SessionStore
from .writer import SessionWriter
from .summary import Segment, SessionSummary, summarize

__all__ = [
    "SCHEMA_VERSION",
    "Bookmark",
    "RecordedSample",
    "Segment",
    "SessionData",
    "SessionInfo",
    "SessionStatus",
    "SessionStore",
    "SessionSummary",
    "SessionWriter",
    "TimeBase",
    "summarize",
]
