"""Guard against a Qt binding that leaks references to Python's singletons.

PySide6-Essentials 6.12.0 on Python < 3.12 drops a reference to True on every
Signal.emit() and to None on every void call; after a few thousand calls the
interpreter aborts ("Fatal Python error: bool_dealloc"), which would kill the
app minutes into a class. pyproject.toml excludes that release; this test
fails if an environment gets it anyway.
"""

import os
import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
class Emitter(QObject):
    changed = Signal(int)
emitter, timer = Emitter(), QTimer()
before = sys.getrefcount(True), sys.getrefcount(None)
for i in range(20000):
    emitter.changed.emit(i)
    timer.stop()
after = sys.getrefcount(True), sys.getrefcount(None)
assert after[0] >= before[0] - 100 and after[1] >= before[1] - 100, (before, after)
"""


def test_signals_do_not_leak_singleton_references():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
