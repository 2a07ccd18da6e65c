"""Work-arounds for bugs in the Qt binding, applied once when ``classwatch.ui`` is used.

PySide6 6.12.0 on Python 3.10/3.11 returns the singletons without taking a
reference to them: ``SignalInstance.emit()`` returns ``True``, and every
void method (``QTimer.start``, ``processEvents``, a ``sender()`` that is
None, every slot call from C++...) returns ``None``, each time taking one
reference away. (It looks built for Python 3.12+, where these objects are
immortal and reference counts on them do nothing.) On 3.10/3.11 the count of
``None`` or ``True`` reaches zero after some thousands of calls and the
interpreter aborts ("Fatal Python error: none_dealloc" / "bool_dealloc"):
the app would crash a few minutes into a class.

``protect_singletons()`` gives None, True, False, Ellipsis and NotImplemented
a reference count so large that no realistic number of calls can exhaust it
(2**40 calls at 1 MHz take 12 days; at the app's few thousand a second,
years). That is what Python 3.12 does by design (immortal objects); these
objects are static and never freed either way, so an inflated count changes
nothing else. It is a no-op on 3.12+, on other interpreters, and on debug
builds (whose object header differs). Remove it once the project requires a
PySide6 without the bug.
"""

from __future__ import annotations

import ctypes
import sys

#: How much to add to the reference counts of the singletons.
BOOST = 1 << 40

_done = False


def needs_protection() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12) and not hasattr(sys, "gettotalrefcount")


def protect_singletons() -> bool:
    """Make None, True, False, ... effectively immortal on CPython < 3.12; True if applied (once per process)."""
    global _done
    if _done or not needs_protection():
        return False
    for obj in (None, True, False, Ellipsis, NotImplemented):
        # ob_refcnt is the first field of every object in a release build of CPython < 3.12.
        count = ctypes.c_ssize_t.from_address(id(obj))
        if count.value < BOOST:
            count.value += BOOST
    _done = True
    return True


protect_singletons()
