"""PySide6 6.12's reference bugs (emit() -> True, void calls -> None) must not crash the app on Python < 3.12.

See classwatch/ui/compat.py. Without the work-around this script aborts with
"Fatal Python error: bool_dealloc" / "none_dealloc" on Python 3.10/3.11.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

CODE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import classwatch.ui.worker  # applies the work-around
from PySide6.QtCore import QObject, Signal

class A(QObject):
    s = Signal(object)

a = A()
a.s.connect(lambda x: None)
for _ in range(60000):  # far more than the references True and None start with
    a.s.emit(1)           # returns True
    a.setObjectName("x")  # returns None
import gc; gc.collect()
print("alive")
"""


def test_many_qt_calls_do_not_exhaust_the_references_to_true_and_none():
    proc = subprocess.run([sys.executable, "-c", CODE], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "alive" in proc.stdout
