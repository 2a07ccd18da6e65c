"""The region picker: drag a rectangle around the video-call gallery, on any monitor.

One frameless overlay per screen (a single window spanning monitors with
different scale factors is drawn at one scale only, so each screen gets its
own). Each overlay shows that monitor's picture, dimmed, taken once when the
picker opens (kept in memory only, never written anywhere); where that
picture cannot be had (macOS without the screen-recording permission) the
overlay is a translucent tint over the live screen instead.

- Drag: the rectangle is picked when the mouse is released.
- Enter: use the highlighted rectangle: the detected gallery, or the last region.
- Esc (or the Cancel button): nothing changes.

"Detect gallery": the tile finder runs on each monitor's picture and the
bounding box of the tiles it finds is offered as the highlighted rectangle.

All coordinate conversion is in ``geometry.py`` (tested without a display).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QGuiApplication, QImage, QPainter, QPen, QScreen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from . import theme
from .geometry import Monitor, ScreenInfo, bounding_box, logical_to_region, match_monitors, pad_box, region_to_logical
from ..sources import Region

log = logging.getLogger(__name__)

MIN_SIDE = 16  # capture pixels: sources.region_on_screen refuses smaller regions


def screen_info(screen: QScreen) -> ScreenInfo:
    g = screen.geometry()
    return ScreenInfo(screen.name(), (g.x(), g.y(), g.width(), g.height()), screen.devicePixelRatio())


def mss_monitors() -> list[Monitor]:
    """The monitors as mss sees them (index 0 of the result is mss monitor 1); [] if mss cannot run."""
    try:
        import mss

        with getattr(mss, "MSS", mss.mss)() as sct:
            return [Monitor.from_mss(m) for m in sct.monitors[1:]]
    except Exception as exc:  # no display connection, no permission
        log.warning("cannot list monitors: %s", exc)
        return []


def grab_monitor(number: int) -> np.ndarray | None:
    """A BGR picture of one whole monitor (in memory only), or None if it cannot be taken."""
    try:
        import mss

        with getattr(mss, "MSS", mss.mss)() as sct:
            shot = sct.grab(sct.monitors[number])
        return np.ascontiguousarray(np.asarray(shot, np.uint8)[:, :, :3])
    except Exception as exc:
        log.info("no picture of monitor %s: %s", number, exc)
        return None


def detect_gallery(image: np.ndarray, monitor: int, exclude: list[tuple[int, int, int, int]] = ()) -> tuple[Region, int] | None:
    """(the call's Region, number of tiles) from a monitor picture, or None if no tiles are found.

    The same layout finder as the analysis (``classwatch.layout``), on the whole
    picture: its tiles are found from the faces in them, so the desktop, other
    windows and a participants panel beside the call do not matter. The region
    proposed is the box around all tiles (a gallery, a participant strip, a
    speaker with a filmstrip).

    exclude: rectangles (x, y, w, h, in the picture's pixels) to ignore, i.e.
        classwatch's own windows; they are painted over before anything else.
    """
    from ..detect import make_detector
    from ..layout import layout_of

    h, w = image.shape[:2]
    if exclude:
        image = image.copy()
        for x, y, ew, eh in exclude:
            image[max(y, 0) : max(y + eh, 0), max(x, 0) : max(x + ew, 0)] = (128, 0, 128)
    # A whole screen often shows the call as a small window: layout_of also searches where its faces are.
    layout = layout_of(image, make_detector())
    if not layout.grid:
        return None
    x, y, bw, bh = pad_box(bounding_box(layout.boxes), 4, w, h)
    if bw < MIN_SIDE or bh < MIN_SIDE:
        return None
    return Region(monitor, x, y, bw, bh), len(layout)


@dataclass
class _Target:
    """One screen with its overlay."""

    screen: QScreen
    info: ScreenInfo
    monitor: int | None
    mon: Monitor | None
    image: QImage | None = None


def _capture_rect(rect: QRect, info: ScreenInfo, mon: Monitor) -> tuple[int, int, int, int] | None:
    """A global logical rectangle as (x, y, w, h) in the capture pixels of one monitor; None if not on it."""
    sx, sy, sw, sh = info.geometry
    if rect.right() < sx or rect.bottom() < sy or rect.left() > sx + sw or rect.top() > sy + sh:
        return None
    r = logical_to_region((rect.x(), rect.y(), rect.width(), rect.height()), info, 1, mon)
    return (r.x, r.y, r.width, r.height) if r.width and r.height else None


def _to_qimage(bgr: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class _Overlay(QWidget):
    def __init__(self, picker: "RegionPicker", target: _Target, proposal: tuple[QRectF, str] | None) -> None:
        flags = Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.Tool
        super().__init__(None, flags)
        self.picker = picker
        self.target = target
        self.proposal = proposal  # (rect in local logical coordinates, label)
        self.origin: QPointF | None = None
        self.current: QRectF | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if target.image is None:
            self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setWindowTitle("classwatch: select the gallery")

        box = QWidget(self)
        box.setObjectName("pickerBox")
        box.setStyleSheet(
            f"#pickerBox {{ background: rgba(27,31,36,235); border: 1px solid {theme.PANEL_EDGE}; border-radius: 10px; }}"
            " QLabel { background: transparent; }"
        )
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 12)
        title = QLabel("Drag a rectangle around the participant gallery")
        title.setFont(theme.font(13, bold=True))
        lay.addWidget(title)
        if target.mon is None:
            hint = "This screen cannot be captured (no matching monitor)."
        elif proposal:
            hint = f"{proposal[1]} is highlighted: press Enter to use it. Esc cancels."
        else:
            hint = "Include every tile, nothing else. Enter reuses the highlighted region. Esc cancels."
        self.hint = QLabel(hint)
        self.hint.setObjectName("muted")
        lay.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.use_button = QPushButton("Use highlighted")
        self.use_button.setObjectName("primary")
        self.use_button.setVisible(proposal is not None)
        self.use_button.clicked.connect(self.accept_proposal)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(picker.cancel)
        buttons.addWidget(self.use_button)
        buttons.addWidget(cancel)
        lay.addLayout(buttons)
        box.adjustSize()
        self.box = box

        g = target.screen.geometry()
        self.setGeometry(g)
        box.move((g.width() - box.width()) // 2, 40)

    # events

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.picker.cancel()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.picker.accept_proposal()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.target.mon is not None:
            self.origin = event.position()
            self.current = QRectF(self.origin, self.origin)
            self.update()
        elif event.button() == Qt.MouseButton.RightButton:
            self.picker.cancel()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self.origin is not None:
            self.current = QRectF(self.origin, event.position()).normalized()
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.origin is None or event.button() != Qt.MouseButton.LeftButton:
            return
        rect = QRectF(self.origin, event.position()).normalized()
        self.origin, self.current = None, None
        region = self.region_of(rect)
        if region is None:
            # A click, not a drag: inside the proposal means "use it".
            if self.proposal and self.proposal[0].contains(event.position()):
                self.picker.accept_proposal()
            self.update()
            return
        self.picker.finish(region)

    def accept_proposal(self) -> None:
        self.picker.accept_proposal()

    def region_of(self, local: QRectF) -> Region | None:
        t = self.target
        if t.mon is None or t.monitor is None:
            return None
        gx, gy = t.info.geometry[0], t.info.geometry[1]
        region = logical_to_region((gx + local.x(), gy + local.y(), local.width(), local.height()), t.info, t.monitor, t.mon)
        if region.width < MIN_SIDE or region.height < MIN_SIDE:
            return None
        return region

    # painting

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        full = QRectF(self.rect())
        if self.target.image is not None:
            p.drawImage(full, self.target.image)
            p.fillRect(full, QColor(12, 14, 18, 150))
        else:
            p.fillRect(full, QColor(12, 14, 18, 110))
        if self.proposal and self.current is None:
            rect, label = self.proposal
            self._reveal(p, rect)
            pen = QPen(QColor(theme.ACCENT), 2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            self._tag(p, rect, label)
        if self.current is not None:
            self._reveal(p, self.current)
            p.setPen(QPen(QColor(theme.ACCENT), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.current)
            region = self.region_of(self.current)
            if region is not None:
                self._tag(p, self.current, f"{region.width} \u00d7 {region.height}")
        p.end()

    def _reveal(self, p: QPainter, rect: QRectF) -> None:
        if self.target.image is None:
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
            p.fillRect(rect, Qt.GlobalColor.transparent)
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            return
        img = self.target.image
        sx, sy = img.width() / max(self.width(), 1), img.height() / max(self.height(), 1)
        src = QRectF(rect.x() * sx, rect.y() * sy, rect.width() * sx, rect.height() * sy)
        p.drawImage(rect, img, src)

    def _tag(self, p: QPainter, rect: QRectF, text: str) -> None:
        f = theme.font(10, bold=True)
        p.setFont(f)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 16, fm.height() + 8
        y = rect.top() - h - 4 if rect.top() - h - 4 > 0 else rect.bottom() + 4
        box = QRectF(rect.left(), y, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.ACCENT))
        p.drawRoundedRect(box, 5, 5)
        p.setPen(QColor("#ffffff"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class RegionPicker(QObject):
    """Opens the overlays; emits ``picked(Region)`` or ``cancelled()`` once, then closes them.

    monitors / grab: injectable for tests (the mss monitor list, and a
    function from monitor number to a BGR picture or None).
    """

    picked = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None, *, monitors: list[Monitor] | None = None,
                 grab=grab_monitor, detect: bool = True) -> None:
        super().__init__(parent)
        self._monitors = monitors
        self._grab = grab
        self._detect = detect
        self.overlays: list[_Overlay] = []
        self.proposal: Region | None = None
        self.proposal_label = ""
        self.active = False

    def open(self, last: Region | None = None, exclude: list[QRect] = ()) -> None:
        """Show the overlays. exclude: classwatch's own windows (global logical
        rectangles), left out of the gallery detection."""
        if self.active:
            return
        monitors = self._monitors if self._monitors is not None else mss_monitors()
        screens = QGuiApplication.screens()
        infos = [screen_info(s) for s in screens]
        matched = match_monitors(infos, monitors)
        targets = []
        self.proposal, self.proposal_label = None, ""
        for screen, info, number in zip(screens, infos, matched):
            mon = monitors[number - 1] if number else None
            target = _Target(screen, info, number, mon)
            if number is not None and self._grab is not None:
                image = self._grab(number)
                if image is not None:
                    target.image = _to_qimage(image)
                    if self._detect and self.proposal is None:
                        own = [_capture_rect(r, info, target.mon) for r in exclude]
                        try:
                            found = detect_gallery(image, number, [r for r in own if r is not None])
                        except Exception:  # detection is a convenience: never block picking
                            log.exception("gallery detection failed")
                            found = None
                        if found:
                            self.proposal, tiles = found
                            self.proposal_label = f"Detected gallery ({tiles} tiles)"
            targets.append(target)
        if self.proposal is None and last is not None and any(t.monitor == last.monitor for t in targets):
            self.proposal, self.proposal_label = last, "Last region"
        self.active = True
        for target in targets:
            local = None
            if self.proposal is not None and target.monitor == self.proposal.monitor and target.mon is not None:
                x, y, w, h = region_to_logical(self.proposal, target.info, target.mon)
                gx, gy = target.info.geometry[:2]
                local = (QRectF(x - gx, y - gy, w, h), self.proposal_label)
            overlay = _Overlay(self, target, local)
            self.overlays.append(overlay)
            overlay.show()
            if QGuiApplication.platformName() != "offscreen":
                overlay.raise_()
        if self.overlays:
            under = QGuiApplication.screenAt(QCursor.pos())
            first = next((o for o in self.overlays if o.target.screen is under), self.overlays[0])
            first.activateWindow()
            first.setFocus()
        else:
            self.cancel()

    def accept_proposal(self) -> None:
        if self.proposal is not None:
            self.finish(self.proposal)

    def finish(self, region: Region) -> None:
        if not self.active:
            return
        self._close()
        self.picked.emit(region)

    def cancel(self) -> None:
        if not self.active and not self.overlays:
            return
        self._close()
        self.cancelled.emit()

    def _close(self) -> None:
        self.active = False
        overlays, self.overlays = self.overlays, []
        for o in overlays:
            o.target.image = None  # drop the screen picture now
            o.close()
