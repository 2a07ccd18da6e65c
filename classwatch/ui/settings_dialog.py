"""The settings dialog: the teacher's preferences, with the admin's locked ones shown but disabled.

It edits ``classwatch.settings`` through ``classwatch.policy``: the dialog
sends every unlocked field to ``apply_user_change`` (which records only real
changes as the teacher's choices) and saves the result. A locked setting is
disabled, with a lock mark and the admin's reason as its tooltip and in a
banner at the top; it is never sent.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .camera_picker import CameraPicker
from .icons import app_icon
from ..detect import DETECTORS
from ..errors import ClasswatchError
from ..policy import EffectiveSettings, apply_user_change
from ..resources import asset_path
from ..session.model import ATTENTION_MEANING
from ..settings import EXPORT_FORMATS, RANGES, Settings, save_user_settings

DETECTOR_NAMES = {
    "yunet": "YuNet neural network (recommended)",
    "haar": "OpenCV Haar cascade (lighter, misses more faces)",
}


LOCK_ICON = asset_path("icons/lock.svg").as_posix()


def _count_box(name: str, value: int, suffix: str, tip: str, at_minimum: str = "") -> QSpinBox:
    """A whole-number setting's spin box, within its RANGES; ``at_minimum``: what its lowest value means."""
    box = QSpinBox()
    box.setRange(*(int(v) for v in RANGES[name]))
    box.setSpecialValueText(at_minimum)
    box.setSuffix(suffix)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class SettingsDialog(QDialog):
    """``saved(Settings)`` is emitted with the teacher's settings after they were written."""

    saved = Signal(object)

    def __init__(self, effective: EffectiveSettings, parent: QWidget | None = None, *,
                 save: Callable[[Settings], None] = save_user_settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("classwatch settings")
        self.setWindowIcon(app_icon())
        self.effective = effective
        self._save = save
        self.fields: dict[str, QWidget] = {}
        self.locks: dict[str, QLabel] = {}
        s = effective.settings

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        notes = []
        if effective.policy_error:
            notes.append(f"<b>The admin policy cannot be used.</b> {effective.policy_error}. "
                         "The safest settings are in force until it is fixed.")
        elif effective.locked:
            notes.append(f"<b>Some settings are set by your administrator.</b> {effective.lock_reason or ''}")
        if effective.settings_warning:
            notes.append(effective.settings_warning)
        self.banner = QLabel("<br>".join(notes))
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(bool(notes))
        layout.addWidget(self.banner)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(9)

        self._source_rows(form, s)

        every = QDoubleSpinBox()
        every.setRange(*RANGES["sample_every_s"])
        every.setDecimals(1)
        every.setSingleStep(0.5)
        every.setSuffix(" s")
        every.setValue(s.sample_every_s)
        every.setToolTip("Seconds between two readings (default 1 s). Longer uses less CPU.")
        self._row(form, "sample_every_s", "Take a reading every", every)

        detector = QComboBox()
        for name in DETECTORS:
            detector.addItem(DETECTOR_NAMES.get(name, name), name)
        detector.setCurrentIndex(max(0, detector.findData(s.detector)))
        self._row(form, "detector", "Face detector", detector)

        emotions = QCheckBox("Analyse facial expressions (off: presence only)")
        emotions.setChecked(s.emotions)
        self._row(form, "emotions", "Expressions", emotions)

        attention = QCheckBox("Attention (head orientation)")
        attention.setChecked(s.attention)
        if not effective.is_locked("attention"):
            attention.setToolTip(ATTENTION_MEANING)
        self._row(form, "attention", "Attention", attention)
        for name, label, direction in (("facing_yaw_deg", "Facing: head turned at most", "left or right"),
                                       ("facing_pitch_deg", "Facing: head tilted at most", "up or down")):
            limit = QDoubleSpinBox()
            limit.setRange(1.0, RANGES[name][1])  # 0 excluded: nobody would face the screen
            limit.setDecimals(1)
            limit.setSingleStep(5.0)
            limit.setSuffix(f"\u00b0 {direction}")
            limit.setValue(getattr(s, name))
            limit.setToolTip(f"A face counts as facing the screen when its head is turned {direction} no more "
                             "than this. Only used while attention is on.")
            self._row(form, name, label, limit)
        # The limits mean nothing while attention is off (or locked off by the admin).
        self._sync_facing(s.attention)
        attention.toggled.connect(self._sync_facing)

        min_faces = _count_box("min_faces", s.min_faces, " faces",
                               "Below this many faces no class reading is shown: it would be about individuals.")
        self._row(form, "min_faces", "Minimum group size", min_faces)

        smoothing = QDoubleSpinBox()
        smoothing.setRange(*RANGES["smoothing_s"])
        smoothing.setDecimals(1)
        smoothing.setSingleStep(1.0)
        smoothing.setSuffix(" s")
        smoothing.setValue(s.smoothing_s)
        smoothing.setToolTip("Each face's expression is averaged over this window: higher is calmer, slower.")
        self._row(form, "smoothing_s", "Smoothing window", smoothing)

        login = QCheckBox("Start classwatch when I log in")
        login.setChecked(s.start_on_login)
        self._row(form, "start_on_login", "Start on login", login)

        retention = _count_box("retention_days", s.retention_days, " days",
                               "Recorded sessions older than this are deleted when classwatch starts.", "keep forever")
        self._row(form, "retention_days", "Keep sessions for", retention)

        tracks = QCheckBox("Also store anonymous per-face track numbers")
        tracks.setChecked(s.keep_tracks)
        self._row(form, "keep_tracks", "Track details", tracks)

        formats = QWidget()
        fl = QHBoxLayout(formats)
        fl.setContentsMargins(0, 0, 0, 0)
        self.format_boxes: dict[str, QCheckBox] = {}
        for fmt in EXPORT_FORMATS:
            box = QCheckBox(fmt.upper())
            box.setChecked(fmt in s.export_formats)
            fl.addWidget(box)
            self.format_boxes[fmt] = box
        fl.addStretch(1)
        self._row(form, "export_formats", "Export formats", formats)

        data = QLabel(str(effective.data_path()))
        data.setObjectName("muted")
        data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._row(form, "data_dir", "Data folder", data)

        layout.addLayout(form)
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {theme.WARN};")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)  # room for a camera's name beside Refresh

    def _row(self, form: QFormLayout, name: str, label: str, widget: QWidget) -> None:
        self.fields[name] = widget
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(widget, 1)
        if self.effective.is_locked(name):
            widget.setEnabled(False)
            reason = self.effective.lock_reason or "Set by the admin policy"
            lock = QLabel(f"<img src='{LOCK_ICON}' width=13 height=13>&nbsp;set by admin")
            lock.setObjectName("lock")
            lock.setToolTip(reason)
            widget.setToolTip(reason)
            h.addWidget(lock)
            self.locks[name] = lock
        form.addRow(label, row)

    def _source_rows(self, form: QFormLayout, s: Settings) -> None:
        """Screen region or camera; which camera, with a still; the class size (for the room's coverage)."""
        source = QComboBox()
        source.addItem("Screen region (a video call)", "screen")
        source.addItem("Camera (a classroom)", "camera")
        if not s.camera:  # forbidden by the policy (then "source" is locked too) or turned off in the settings
            why = self.effective.lock_reason if self.effective.is_locked("camera") else "The camera is turned off."
            item = source.model().item(1)
            item.setEnabled(False)
            item.setToolTip(why)
        source.setCurrentIndex(max(0, source.findData(s.source)))
        self._row(form, "source", "Read from", source)

        picker = CameraPicker(s.camera_index)
        self._row(form, "camera_index", "Camera", picker)

        size = _count_box("class_size", s.class_size, " students",
                          "Students in the room. Coverage is the faces found over this; "
                          "unknown: over the most faces found in the last minute.", "unknown (the most faces seen)")
        self._row(form, "class_size", "Class size", size)

        self._sync_source(form)
        source.currentIndexChanged.connect(lambda _: self._sync_source(form))

    def _sync_source(self, form: QFormLayout) -> None:
        """The camera rows apply only to the camera, and are hidden otherwise (the dialog must fit a
        laptop screen); the cameras are looked for only once the camera is chosen."""
        camera = self.fields["source"].currentData() == "camera" and self.effective.settings.camera
        for name in ("camera_index", "class_size"):
            self.fields[name].setEnabled(camera)
            form.setRowVisible(self.fields[name].parentWidget(), camera)
        if camera:
            self.fields["camera_index"].ensure_loaded()

    def _sync_facing(self, attention_on: bool) -> None:
        for name in ("facing_yaw_deg", "facing_pitch_deg"):
            self.fields[name].setEnabled(attention_on and not self.effective.is_locked(name))

    def values(self) -> dict[str, object]:
        """Every editable (unlocked) setting as shown in the dialog."""
        f = self.fields
        out: dict[str, object] = {
            "source": f["source"].currentData(),
            "camera_index": f["camera_index"].index(),
            "class_size": f["class_size"].value(),
            "sample_every_s": round(f["sample_every_s"].value(), 1),
            "detector": f["detector"].currentData(),
            "emotions": f["emotions"].isChecked(),
            "attention": f["attention"].isChecked(),
            "facing_yaw_deg": f["facing_yaw_deg"].value(),
            "facing_pitch_deg": f["facing_pitch_deg"].value(),
            "min_faces": f["min_faces"].value(),
            "smoothing_s": round(f["smoothing_s"].value(), 1),
            "start_on_login": f["start_on_login"].isChecked(),
            "retention_days": f["retention_days"].value(),
            "keep_tracks": f["keep_tracks"].isChecked(),
            "export_formats": tuple(fmt for fmt, box in self.format_boxes.items() if box.isChecked()),
        }
        return {k: v for k, v in out.items() if not self.effective.is_locked(k)}

    def accept(self) -> None:
        try:
            user = apply_user_change(self.effective, **self.values())
            self._save(user)
        except ClasswatchError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        self.saved.emit(user)
        super().accept()
