"""The settings dialog's camera choice: the cameras found, a Refresh button and one still picture.

Finding the cameras means opening each one (``sources.list_cameras``), which
can take seconds per camera and turns its light on, so it happens in a
background thread, and only once the teacher has chosen the camera as the
source (``ensure_loaded``), never merely because the dialog was opened.

The preview is one picture grabbed when a camera is chosen, shown scaled
down and kept only in memory: enough to see where the camera points, and no
stream of the class to leave running or to end up on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

from .. import sources
from ..errors import ClasswatchError

PREVIEW_W, PREVIEW_H = 160, 90


def still_picture(index: int) -> np.ndarray:
    """One RGB picture of camera ``index``, scaled to fit the preview (blocking: off the GUI thread)."""
    camera = sources.CameraSource(index)  # looked up at each call: tests replace sources.CameraSource
    try:
        image = camera.grab().image
    finally:
        camera.close()
    h, w = image.shape[:2]
    scale = min(PREVIEW_W / w, PREVIEW_H / h)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))


class _Relay(QObject):
    """Carries a background result to the GUI thread (a signal emitted from another thread is queued)."""

    done = Signal(str, int, object)  # what ("list" / "still"), request number, result or ClasswatchError


def _in_background(work: Callable[[], object], relay: _Relay, what: str, request: int) -> None:
    def run() -> None:
        try:
            result = work()
        except ClasswatchError as exc:  # "in use", "sends no picture": shown in place of the preview
            result = exc
        try:
            relay.done.emit(what, request, result)
        except RuntimeError:  # the dialog was closed meanwhile
            pass

    threading.Thread(target=run, name=f"classwatch camera {what}", daemon=True).start()


class CameraPicker(QWidget):
    """Camera list + Refresh, a still of the chosen camera and a one-line note.

    ``index()`` is the chosen camera number; until the list has been loaded
    (or when the remembered camera is not found now) it is the remembered one,
    so saving the dialog never changes the camera by accident.
    """

    def __init__(self, current: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = current
        self.loaded = False
        self.busy = False
        self._request = 0

        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # names are long
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for cameras again (one plugged in after the list was made)")
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("muted")
        self.preview.setStyleSheet("border: 1px solid rgba(128, 128, 128, 0.45);")
        self.note = QLabel("")
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.addWidget(self.combo, 0, 0, 1, 2)
        grid.addWidget(self.refresh_button, 0, 2)
        grid.addWidget(self.preview, 1, 0)
        grid.addWidget(self.note, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)  # never clip the still

        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self.refresh_button.clicked.connect(self.refresh)
        self.combo.activated.connect(lambda _: self._show_still())
        self._remembered_only()
        self.preview.setText("no preview")

    def index(self) -> int:
        data = self.combo.currentData()
        return self.current if data is None else int(data)

    def ensure_loaded(self) -> None:
        """Find the cameras, once (the teacher has chosen the camera as the source)."""
        if not self.loaded and not self.busy:
            self.refresh()

    def refresh(self) -> None:
        self.current = self.index()
        self._request += 1
        self.busy = True
        self.combo.setEnabled(False)
        self.refresh_button.setEnabled(False)
        self.note.setText("Looking for cameras\u2026")
        _in_background(lambda: sources.list_cameras(), self._relay, "list", self._request)

    def _remembered_only(self) -> None:
        self.combo.clear()
        self.combo.addItem(f"Camera {self.current}", self.current)

    def _done(self, what: str, request: int, result: object) -> None:
        if request != self._request:  # an answer to an earlier Refresh or choice
            return
        if what == "list":
            self._listed(result)
        elif isinstance(result, np.ndarray):
            h, w = result.shape[:2]
            image = QImage(result.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            self.preview.setPixmap(QPixmap.fromImage(image))
            self.note.setText("A still picture, to check where the camera points. It is not saved.")
        else:
            self.preview.clear()
            self.preview.setText("no picture")
            self.note.setText(str(result))

    def _listed(self, cameras: object) -> None:
        self.busy = False
        self.loaded = True
        self.combo.setEnabled(True)
        self.refresh_button.setEnabled(True)
        self.combo.clear()
        if isinstance(cameras, ClasswatchError):
            cameras = []
        for camera in cameras:
            self.combo.addItem(str(camera), camera.index)
        found = self.combo.findData(self.current)
        if found < 0:  # keep the remembered camera: it may be unplugged just now
            self.combo.addItem(f"Camera {self.current} (not found now)", self.current)
            found = self.combo.count() - 1
        self.combo.setCurrentIndex(found)
        if not cameras:
            self.preview.clear()
            self.preview.setText("no camera")
            self.note.setText("No camera found. Plug one in, or close the program using it, then Refresh.")
        else:
            self._show_still()

    def _show_still(self) -> None:
        index = self.index()
        self.current = index
        self._request += 1
        self.preview.clear()
        self.preview.setText("\u2026")
        self.note.setText(f"Taking a picture with camera {index}\u2026")
        _in_background(lambda: still_picture(index), self._relay, "still", self._request)
