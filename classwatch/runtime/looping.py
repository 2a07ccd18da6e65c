"""A demo file served like a live source: ``grab(t)`` returns the frame at time ``t``, looping forever."""

from __future__ import annotations

from ..errors import InputError
from ..sources import open_source
from ..types import Frame


class LoopingSource:
    """An image, video or folder served like the screen: ``grab(t)`` returns the
    frame of the input at time ``t`` (seconds since the start), looping forever.

    Frames are taken every ``every`` seconds of input time, as ``open_source``
    does; a grab that comes late skips the frames in between (as the screen
    would). Only the current position is kept, so a long video costs no memory.
    """

    def __init__(self, path, every: float = 1.0) -> None:
        self.path = path
        self.every = every
        self.source = open_source(path, every)  # raises InputError now, not at the first grab
        self._it = None
        self._pos = 0  # index of the next frame the iterator yields
        self._length: int | None = None  # frames per loop, once known
        self._last: Frame | None = None

    def _restart(self) -> None:
        self._it = iter(self.source)
        self._pos = 0

    def grab(self, t: float, index: int) -> Frame:
        k = max(0, int(t / self.every + 1e-6))
        if self._length:
            k %= self._length
        if self._last is not None and self._pos - 1 == k:
            return Frame(self._last.image, t, index)
        if self._it is None or k < self._pos:
            self._restart()
        while self._pos <= k:
            try:
                self._last = next(self._it)
                self._pos += 1
            except StopIteration:
                if self._pos == 0:
                    raise InputError(f"no frames in {self.path}") from None
                self._length = self._pos
                k %= self._length
                if self._pos - 1 == k:
                    break
                self._restart()
        assert self._last is not None
        return Frame(self._last.image, t, index)
