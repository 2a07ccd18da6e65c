"""The timeline: class mood and expression shares against wall-clock time, with bookmarks.

The same widget shows the live class (following "now", scrolling) and a past
session in the session browser. It never computes anything itself: it is
handed a ``live.Series`` (ring-buffer view) and draws it, so redraws happen
on the dashboard's display timer and never on the analysis thread.

Top plot: the mood index (-1 .. +1) as a line with a soft fill towards 0
(blue above, orange below; gaps where there was no reading). Bottom plot:
the share of each expression, stacked to 100 %. In presence-only mode the
top plot shows faces, tiles and cameras off instead, and there is no bottom plot.
In both modes the top plot also has the attention share (0 .. 100 %, its own
right axis) once the series carries any, unless ``set_attention_visible(False)``.
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QLinearGradient
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from . import theme
from .bars import DISPLAY_ORDER
from .live import Series, bin_mean, visible_slice
from ..types import EXPRESSIONS

pg.setConfigOptions(antialias=True, background=theme.BG, foreground=theme.MUTED)

#: Visible span choices (seconds); None = everything.
WINDOWS: tuple[tuple[str, float | None], ...] = (("5 min", 300.0), ("15 min", 900.0), ("1 h", 3600.0), ("All", None))
#: Vertical padding of the mood and the attention scales (the same, so their ends are level).
ATTENTION_PAD = 0.04
#: How strongly the expression bands show their colour over the background (drawn opaque).
BAND_OPACITY = 0.85


def _segmented(*items: pg.PlotDataItem) -> None:
    """Draw these solid lines wider than a pixel as separate segments, antialiased as they are.

    Qt strokes a wide antialiased polyline as one outline, the dashboard's costliest drawing
    once a session is older than the 5-minute window and the timeline scrolls with every
    reading. ``python benchmarks/dashboard_draw.py``: 38 instead of 60 ms of CPU per reading for
    a 10-minute-old session, 43 instead of 69 at 40 minutes. pyqtgraph draws segments itself
    only without antialiasing; the joints look the same at three times magnification.
    """
    for item in items:
        item.curve.setSegmentedLineMode("on")


def _legend_html(presence_only: bool, attention: bool, facing: str = "facing the screen") -> str:
    items = [(f"{facing} (right axis)", theme.ATTENTION)] if attention else []
    if presence_only and facing == "facing the front":  # a room: no tiles, no cameras to be off
        items += [("faces found", theme.ACCENT)]
    elif presence_only:
        items += [("faces analysed", theme.ACCENT), ("tiles", theme.MUTED), ("cameras off", theme.WARN)]
    else:
        items += [(name, theme.EXPRESSION_HEX[name]) for name in DISPLAY_ORDER]
    return "&nbsp;&nbsp;".join(f"<span style='color:{c}'>&#9632;</span>&nbsp;{n}" for n, c in items)


class TimelineWidget(QWidget):
    """``set_series`` / ``set_bookmarks`` / ``add_bookmark``; ``follow_now`` scrolls in live mode;
    ``set_attention_visible(False)`` hides the attention line (attention switched off)."""

    follow_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, live: bool = True, presence_only: bool = False) -> None:
        super().__init__(parent)
        self.live = live
        self.presence_only = presence_only
        self.window_s: float | None = 300.0 if live else None
        self.following = live
        self._series: Series | None = None
        self._bookmarks: list[tuple[float, str]] = []
        self._bookmark_items: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._setting_range = False
        self._attention_allowed = True
        self.attention_shown = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        header = QHBoxLayout()
        header.setContentsMargins(6, 0, 6, 0)
        self.title = QLabel("Timeline")
        self.title.setFont(theme.font(11, bold=True))
        header.addWidget(self.title)
        header.addStretch(1)
        self.live_button = QPushButton("\u25CF Back to live")
        self.live_button.setObjectName("flat")
        self.live_button.setToolTip("Follow the current time again")
        self.live_button.clicked.connect(lambda: self.set_following(True))
        self.live_button.setVisible(False)
        header.addWidget(self.live_button)
        self.window_buttons = QButtonGroup(self)
        self.window_buttons.setExclusive(True)
        for label, seconds in WINDOWS:
            b = QPushButton(label)
            b.setObjectName("flat")
            b.setCheckable(True)
            b.setChecked(seconds == self.window_s)
            b.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
            self.window_buttons.addButton(b)
            header.addWidget(b)
        layout.addLayout(header)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.ci.layout.setSpacing(10)
        self.canvas.ci.setContentsMargins(2, 2, 10, 2)
        layout.addWidget(self.canvas, 1)

        self.facing = "facing the screen"
        self.legend = QLabel(_legend_html(presence_only, False))
        self.legend.setObjectName("muted")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.legend)

        self._build_plots()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(60)
        self._redraw_timer.timeout.connect(self._draw)
        if live:
            self._update_range(None)  # an empty live timeline shows the next minutes, not 1970

    # --- plots -----------------------------------------------------------------------------

    def _new_plot(self, row: int, axis_items: dict | None = None) -> pg.PlotItem:
        plot = self.canvas.addPlot(row=row, col=0, axisItems=axis_items or {})
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=True, y=False)
        plot.showGrid(x=True, y=False, alpha=0.08)
        for name in ("left", "bottom", "right"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.PANEL_EDGE))
            axis.setTextPen(pg.mkPen(theme.MUTED))
            axis.setStyle(tickFont=theme.font(9))
        plot.getAxis("left").setWidth(46)
        plot.getAxis("right").setWidth(46)
        plot.vb.sigRangeChangedManually.connect(self._user_moved)
        return plot

    def _build_plots(self) -> None:
        self.top = self._new_plot(0, {"bottom": pg.DateAxisItem(orientation="bottom")})
        self.bottom_plot: pg.PlotItem | None = None
        self._build_attention()
        if self.presence_only:
            self.title.setText("Presence")
            self.top.setLabel("left", "")
            self.faces_curve = self.top.plot(pen=pg.mkPen(theme.ACCENT, width=2), name="faces")
            self.tiles_curve = self.top.plot(pen=pg.mkPen(theme.MUTED, width=1, style=Qt.PenStyle.DashLine), name="tiles")
            self.off_curve = self.top.plot(pen=pg.mkPen(theme.WARN, width=1.5), name="cameras off")
            _segmented(self.faces_curve, self.off_curve)
            self.top.setYRange(0, 10, padding=0.05)
            return
        self.title.setText("Class mood and expressions")
        top = self.top
        top.setYRange(-1, 1, padding=ATTENTION_PAD)
        top.getAxis("left").setTicks([[(-1, "\u22121"), (-0.5, ""), (0, "0"), (0.5, ""), (1, "+1")]])
        top.getAxis("bottom").setStyle(showValues=False)
        zero = pg.InfiniteLine(0, angle=0, pen=pg.mkPen(theme.FAINT, width=1, style=Qt.PenStyle.DashLine))
        top.addItem(zero, ignoreBounds=True)
        grad = QLinearGradient(0, 1, 0, -1)
        r, g, b = theme.POSITIVE_RGB
        grad.setColorAt(0.0, QColor(r, g, b, 120))
        grad.setColorAt(0.5, QColor(r, g, b, 0))
        r, g, b = theme.NEGATIVE_RGB
        grad.setColorAt(0.5, QColor(r, g, b, 0))
        grad.setColorAt(1.0, QColor(r, g, b, 120))
        # A soft fill needs no antialiasing (saves drawing time); the stacked bands keep it (no seams).
        self.mood_fill = top.plot(pen=None, fillLevel=0.0, fillBrush=QBrush(grad), connect="finite", antialias=False)
        self.mood_curve = top.plot(pen=pg.mkPen(theme.TEXT, width=2), connect="finite")
        _segmented(self.mood_curve)

        self.bottom_plot = self._new_plot(1, {"bottom": pg.DateAxisItem(orientation="bottom")})
        bp = self.bottom_plot
        bp.setXLink(top)
        bp.setYRange(0, 1, padding=0.02)
        bp.getAxis("left").setTicks([[(0, "0"), (0.5, "50%"), (1, "100%")]])
        self.canvas.ci.layout.setRowStretchFactor(0, 3)
        self.canvas.ci.layout.setRowStretchFactor(1, 2)
        # Stacked shares: cumulative curves filled down to 0, drawn top band first so lower bands
        # paint over (opaque, so a band shows none of the one above through it).
        self.share_curves: dict[str, pg.PlotDataItem] = {}
        for name in reversed(DISPLAY_ORDER):
            c = bp.plot(pen=None, fillLevel=0.0, fillBrush=theme.expression_fill(name, BAND_OPACITY), connect="finite")
            self.share_curves[name] = c

    def _build_attention(self) -> None:
        """The attention line in a ViewBox of its own over the top plot, scaled 0..1 on the right
        axis, so the mood (or the counts) keep their scale on the left. Its padding matches the
        mood's: 0 % and 100 % sit level with -1 and +1, and 50 % with the mood's zero line."""
        top = self.top
        self.attention_view = pg.ViewBox(enableMouse=False, enableMenu=False)
        # Below the plot's own ViewBox (z -100): drags and the wheel reach that one first, so
        # panning still works; nothing in it is opaque, so the line still shows through.
        self.attention_view.setZValue(-200)
        top.scene().addItem(self.attention_view)
        self.attention_view.setXLink(top)
        self.attention_view.setYRange(0, 1, padding=ATTENTION_PAD)
        axis = top.getAxis("right")
        axis.linkToView(self.attention_view)
        axis.setTicks([[(0, "0%"), (0.5, "50%"), (1, "100%")]])
        self.attention_curve = pg.PlotDataItem(pen=pg.mkPen(theme.ATTENTION, width=2), connect="finite")
        _segmented(self.attention_curve)
        self.attention_view.addItem(self.attention_curve)
        self.attention_view.setVisible(False)
        top.vb.sigResized.connect(lambda: self.attention_view.setGeometry(top.vb.sceneBoundingRect()))

    def set_attention_visible(self, visible: bool) -> None:
        """Allow (the default) or hide the attention line; hide it when attention is switched off."""
        self._attention_allowed = visible
        if self._update_attention():
            self._draw()

    def _update_attention(self) -> bool:
        """Show the attention line where allowed and the series carries a share (an old session
        recorded without attention gets no empty axis); True when that changed."""
        s = self._series
        show = self._attention_allowed and s is not None and bool(np.isfinite(s.attention).any())
        if show == self.attention_shown:
            return False
        self.attention_shown = show
        self.attention_view.setVisible(show)
        # Both plots get the right axis or neither, so their time axes stay aligned.
        for plot in (self.top, self.bottom_plot):
            if plot is not None:
                plot.showAxis("right", show)
        if self.bottom_plot is not None:
            self.bottom_plot.getAxis("right").setStyle(showValues=False, tickLength=0)
        self.legend.setText(_legend_html(self.presence_only, show, self.facing))
        return True

    def set_source_kind(self, kind: str) -> None:
        """The attention line's name: "facing the screen" (a gallery) or "facing the front" (a room)."""
        self.facing = "facing the front" if kind == "camera" else "facing the screen"
        if self.presence_only:
            self.tiles_curve.setVisible(kind != "camera")
            self.off_curve.setVisible(kind != "camera")
        self.legend.setText(_legend_html(self.presence_only, self.attention_shown, self.facing))

    # --- data ------------------------------------------------------------------------------

    @property
    def series(self) -> Series | None:
        return self._series

    def set_series(self, series: Series, now: float | None = None) -> None:
        """Show these readings (all of them; the visible window is chosen by ``set_window``)."""
        self._series = series
        self._update_attention()
        if self.presence_only and len(series):
            top = max(5.0, float(series.tiles.max()) + 1, float(series.faces.max()) + 1)  # a room: faces > tiles
            self.top.setYRange(0, top, padding=0.05)
        if not self._update_range(now):
            self._draw()

    def _draw(self) -> None:
        """Hand the curves only what is visible, averaged down to about one point per pixel."""
        s = self._series
        if s is None:
            return
        lo, hi = self.x_range()
        part = visible_slice(s.wall, lo, hi)
        x = s.wall[part]
        width = max(int(self.top.vb.width()), 100)
        max_points = max(150, width // 2)  # two pixels per point: smooth enough, half the drawing
        if self.attention_shown:
            self.attention_curve.setData(*bin_mean(x, s.attention[part], max_points))
        if self.presence_only:
            counts = np.stack([s.faces[part], s.tiles[part], s.camera_off[part]], axis=1).astype(np.float64)
            xb, cb = bin_mean(x, counts, max_points)
            self.faces_curve.setData(xb, cb[:, 0])
            self.tiles_curve.setData(xb, cb[:, 1])
            self.off_curve.setData(xb, cb[:, 2])
            return
        xb, mood = bin_mean(x, s.mood[part], max_points)
        self.mood_curve.setData(xb, mood)
        self.mood_fill.setData(xb, mood)
        _, shares = bin_mean(x, s.shares[part].astype(np.float64), max_points)  # NaN rows leave gaps
        cum = np.cumsum(shares[:, [EXPRESSIONS.index(n) for n in DISPLAY_ORDER]], axis=1) if len(xb) else None
        for i, name in enumerate(DISPLAY_ORDER):
            self.share_curves[name].setData(xb, cum[:, i] if cum is not None else np.zeros(0))

    def set_bookmarks(self, bookmarks: list[tuple[float, str]]) -> None:
        for plot, item in self._bookmark_items:
            plot.removeItem(item)
        self._bookmark_items.clear()
        self._bookmarks = []
        for wall, text in bookmarks:
            self.add_bookmark(wall, text)

    def add_bookmark(self, wall: float, text: str) -> None:
        self._bookmarks.append((wall, text))
        clock = datetime.fromtimestamp(wall).strftime("%H:%M:%S")
        pen = pg.mkPen(theme.WARN, width=1.5, style=Qt.PenStyle.DashLine)
        label = text or "\u2691"
        line = pg.InfiniteLine(
            wall, angle=90, pen=pen, movable=False, label=label,
            labelOpts={"position": 0.93, "color": theme.TEXT, "fill": QColor(40, 46, 54, 220), "anchors": [(0, 0.5), (0, 0.5)]},
        )
        line.setToolTip(f"{clock}  {text}" if text else clock)
        self.top.addItem(line, ignoreBounds=True)
        self._bookmark_items.append((self.top, line))
        if self.bottom_plot is not None:
            line2 = pg.InfiniteLine(wall, angle=90, pen=pen, movable=False)
            line2.setToolTip(line.toolTip())
            self.bottom_plot.addItem(line2, ignoreBounds=True)
            self._bookmark_items.append((self.bottom_plot, line2))

    @property
    def bookmarks(self) -> list[tuple[float, str]]:
        return list(self._bookmarks)

    # --- the visible span ------------------------------------------------------------------

    def set_window(self, seconds: float | None) -> None:
        self.window_s = seconds
        for b in self.window_buttons.buttons():
            b.setChecked(b.text() == next(lbl for lbl, s in WINDOWS if s == seconds))
        if self.live:
            self.set_following(True)
        else:
            self._update_range(None)

    def set_following(self, follow: bool) -> None:
        if follow == self.following and not follow:
            return
        self.following = follow
        self.live_button.setVisible(self.live and not follow)
        if follow:
            self._update_range(None)
        self.follow_changed.emit(follow)

    def x_range(self) -> tuple[float, float]:
        lo, hi = self.top.vb.viewRange()[0]
        return float(lo), float(hi)

    def follow_now(self, now: float | None = None) -> None:
        """Scroll so ``now`` is at the right edge (live mode, while following)."""
        if self.live and self.following:
            self._update_range(now)

    def _update_range(self, now: float | None) -> bool:
        """Move the visible window (live: follow now; review: the session) and redraw; False if not moved."""
        s = self._series
        has = s is not None and len(s) > 0
        if self.live:
            if not self.following:
                return False
            now = now if now is not None else (float(s.wall[-1]) if has else time.time())
            first = float(s.wall[0]) if has else now
            if self.window_s is None:
                span = max(now - first, 60.0)
                lo, hi = now - span, now + span * 0.02
            elif now - first < self.window_s * 0.98:
                # A young session fills the window from the left instead of hugging the right edge.
                lo = first - self.window_s * 0.02
                hi = lo + self.window_s
            else:
                lo, hi = now - self.window_s, now + self.window_s * 0.02
        else:
            if not has:
                return False
            lo, hi = float(s.wall[0]), float(s.wall[-1])
            if self.window_s is not None:
                hi = min(hi, lo + self.window_s)
            pad = max((hi - lo) * 0.01, 1.0)
            lo, hi = lo - pad, hi + pad
        self._setting_range = True
        try:
            self.top.setXRange(lo, hi, padding=0)
        finally:
            self._setting_range = False
        self._draw()
        return True

    def _user_moved(self, *args) -> None:
        if self.live and not self._setting_range and self.following:
            self.set_following(False)
        self._redraw_timer.start()  # the visible part changed: re-pick and re-average the points
