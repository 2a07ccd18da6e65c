"""Dashboard parts: the colour scale, the gauge's states, the ring buffer and trend, the timeline and bookmarks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from test_ui_fakes import mood_sample  # noqa: E402

from classwatch.types import EXPRESSIONS  # noqa: E402
from classwatch.ui import theme  # noqa: E402
from classwatch.ui.live import LiveBuffer, mood_trend, reading_status, trend_word  # noqa: E402

T0 = 1_741_078_800.0


def test_mood_colour_scale_is_orange_grey_blue_and_clamped():
    assert theme.mood_rgb(-1) == theme.NEGATIVE_RGB
    assert theme.mood_rgb(0) == theme.NEUTRAL_RGB
    assert theme.mood_rgb(1) == theme.POSITIVE_RGB
    assert theme.mood_rgb(5) == theme.POSITIVE_RGB and theme.mood_rgb(None) == theme.NEUTRAL_RGB
    half = theme.mood_rgb(0.5)
    assert all(min(a, b) <= h <= max(a, b) for a, b, h in zip(theme.NEUTRAL_RGB, theme.POSITIVE_RGB, half))
    # Colour-blind safe: the ends differ in blue-yellow (not only red-green).
    assert theme.POSITIVE_RGB[2] - theme.NEGATIVE_RGB[2] > 100


def test_signed_numbers_use_a_real_minus_and_no_signed_zero():
    assert theme.signed(0.234) == "+0.23"
    assert theme.signed(-0.5) == "\u22120.50"
    assert theme.signed(-0.001) == "0.00"
    assert theme.signed(None) == "\u2013"


def test_gauge_states(qtbot):
    from classwatch.ui.gauge import MoodGauge, value_angle

    g = MoodGauge()
    qtbot.addWidget(g)
    g.resize(320, 240)
    assert g.state == "idle"
    g.set_value(0.42, trend=0.2)
    assert (g.state, g.value, g.text) == ("value", 0.42, "+0.42")
    assert "clearly positive" in g.accessibleDescription()
    g.grab()  # paints without error
    g.set_value(7.0)
    assert g.value == 1.0
    g.set_unavailable("Too few faces for a class reading", "2 faces analysed")
    assert (g.state, g.value, g.text) == ("unavailable", None, "Too few faces for a class reading")
    g.grab()
    assert value_angle(0) == pytest.approx(90) and value_angle(-1) > 180 and value_angle(1) < 0


def test_reading_status_says_why_there_is_no_number():
    assert reading_status(None, 3)[0] == "idle"
    assert reading_status(mood_sample(0, 0.2), 3) == ("value", "", "")
    state, title, detail = reading_status(mood_sample(0, None, faces=2), 3)
    assert state == "unavailable" and "Too few faces" in title and "2 faces" in detail and "3" in detail
    assert reading_status(mood_sample(0, 0.2), 3, presence_only=True)[1] == "Presence only"


def test_ring_buffer_wraps_and_keeps_time_order():
    buf = LiveBuffer(capacity=5)
    for i in range(8):
        buf.append(mood_sample(i, None if i == 6 else i / 10), T0 + i)
    s = buf.series()
    assert len(buf) == 5 and list(s.wall) == [T0 + i for i in range(3, 8)]
    assert np.isnan(s.mood[3]) and s.mood[-1] == pytest.approx(0.7)
    assert np.isnan(s.shares[3]).all() and s.shares[-1].sum() == pytest.approx(1.0)
    assert buf.latest.t == 7 and buf.latest_wall == T0 + 7
    v = buf.version
    buf.clear()
    assert len(buf) == 0 and buf.version > v and buf.latest is None


def test_trend_is_the_slope_per_minute_over_the_last_minute():
    wall = T0 + np.arange(60.0)
    rising = 0.1 + wall * 0 + np.arange(60) / 60 * 0.3  # +0.3 per minute
    assert mood_trend(wall, rising, wall[-1]) == pytest.approx(0.3, abs=0.01)
    assert trend_word(0.3) == "rising" and trend_word(-0.3) == "falling" and trend_word(0.01) == "steady"
    assert mood_trend(wall[:5], rising[:5], wall[4]) is None  # too few readings
    gaps = rising.copy()
    gaps[::2] = np.nan
    assert mood_trend(wall, gaps, wall[-1]) == pytest.approx(0.3, abs=0.02)


def test_expression_bars(qtbot):
    from classwatch.ui.bars import ExpressionBars

    bars = ExpressionBars()
    qtbot.addWidget(bars)
    shares = np.array([0.05, 0.0, 0.05, 0.5, 0.1, 0.1, 0.2], np.float32)
    bars.set_shares(shares)
    assert bars.share("happy") == pytest.approx(0.5)
    assert "happy 50 %" in bars.accessibleDescription()
    bars.resize(300, 220)
    bars.grab()
    bars.set_shares(None, "No class reading")
    assert bars.shares is None and bars.placeholder == "No class reading"
    bars.grab()


def _live_timeline(qtbot, sample, n: int = 120):
    """A live 800x300 timeline fed ``sample(i)`` for n one-second readings from T0; and its buffer."""
    from classwatch.ui.timeline import TimelineWidget

    tl = TimelineWidget(live=True)
    qtbot.addWidget(tl)
    tl.resize(800, 300)
    buf = LiveBuffer()
    for i in range(n):
        buf.append(sample(i), T0 + i)
    tl.set_series(buf.series(), now=T0 + n - 1)
    return tl, buf


def test_timeline_updates_follow_now_and_draws_bookmarks(qtbot):
    tl, buf = _live_timeline(qtbot, lambda i: mood_sample(i, None if i in (50, 51) else 0.2))
    x, y = tl.mood_curve.getData()
    assert len(x) == 120 and np.isnan(y[50]) and y[0] == pytest.approx(0.2)
    # Stacked shares: the top band reaches 100 %.
    _, top = tl.share_curves["disgust"].getData()
    assert np.nanmax(top) == pytest.approx(1.0, abs=1e-5)
    lo, hi = tl.x_range()
    # A session younger than the 5-minute window fills it from the left.
    assert lo == pytest.approx(T0 - 6, abs=1) and hi == pytest.approx(lo + 300, abs=1)

    tl.add_bookmark(T0 + 60, "New topic")
    tl.add_bookmark(T0 + 90, "")
    assert tl.bookmarks == [(T0 + 60, "New topic"), (T0 + 90, "")]
    lines = [item for _, item in tl._bookmark_items]
    assert len(lines) == 4  # on both plots
    assert lines[0].value() == T0 + 60 and "New topic" in lines[0].toolTip()

    # Once older than the window, the view scrolls with "now" while following ...
    for i in range(120, 400):
        buf.append(mood_sample(i, -0.4), T0 + i)
    tl.set_series(buf.series(), now=T0 + 399)
    lo, hi = tl.x_range()
    assert lo == pytest.approx(T0 + 399 - 300, abs=1) and hi >= T0 + 399
    # ... but not after the teacher panned back (until "Back to live").
    tl.set_following(False)
    before = tl.x_range()
    tl.follow_now(T0 + 500)
    assert tl.x_range() == before
    tl.set_following(True)
    tl.follow_now(T0 + 500)
    assert tl.x_range()[1] >= T0 + 500

    tl.set_bookmarks([(T0 + 10, "only")])
    assert tl.bookmarks == [(T0 + 10, "only")] and len(tl._bookmark_items) == 2
    tl.set_window(None)
    tl.grab()


def test_presence_only_timeline_plots_counts(qtbot):
    from classwatch.ui.timeline import TimelineWidget

    tl = TimelineWidget(live=False, presence_only=True)
    qtbot.addWidget(tl)
    buf = LiveBuffer()
    for i in range(30):
        buf.append(mood_sample(i, None, faces=5 + i % 3, tiles=9, camera_off=2), T0 + i)
    tl.set_series(buf.series())
    x, faces = tl.faces_curve.getData()
    assert list(faces[:3]) == [5, 6, 7]
    assert not hasattr(tl, "mood_curve")
    lo, hi = tl.x_range()
    assert lo <= T0 and hi >= T0 + 29  # review mode shows the whole session


def test_dashboard_render_shows_value_trust_and_distribution(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(min_faces=3)
    qtbot.addWidget(d)
    d.show()
    buf = LiveBuffer()
    d.render(buf, T0)
    assert d.gauge.state == "idle"
    d.set_run_state("running")
    assert d.status.text == "Analysing" and d.start_button.text() == "Pause"
    for i in range(30):
        buf.append(mood_sample(i, 0.35, faces=10, tiles=12, camera_off=2), T0 + i)
    d.render(buf, T0 + 29)
    assert d.gauge.state == "value" and d.gauge.text == "+0.35"
    assert d.trust.faces.value.text() == "10" and d.trust.tiles.value.text() == "12"
    assert d.trust.off.value.text() == "2" and d.trust.confidence.value.text() == "62%"
    assert d.bars.share("happy") == pytest.approx(0.4)
    # Below the minimum group size: no number, and it says so.
    buf.append(mood_sample(30, None, faces=2, tiles=12, camera_off=2), T0 + 30)
    d.render(buf, T0 + 30)
    assert d.gauge.state == "unavailable" and "Too few faces" in d.gauge.text
    assert d.bars.shares is None
    d.set_run_state("fault", "The capture region is off-screen.")
    assert d.banner.isVisible() and "off-screen" in d.banner.text() and "recorded so far is kept" in d.banner.text()
    assert d.status.text.startswith("Paused")
    d.set_run_state("running")
    assert not d.banner.isVisible()


def test_presence_only_dashboard_shows_no_mood(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(presence_only=True)
    qtbot.addWidget(d)
    d.show()
    buf = LiveBuffer()
    buf.append(mood_sample(0, None, faces=7, tiles=9, camera_off=2), T0)
    d.render(buf, T0)
    assert not d.mood_card.isVisible() and not d.expr_card.isVisible() and d.presence_card.isVisible()
    assert d.presence.faces.value.text() == "7" and d.presence.off.value.text() == "2"
    assert d.timeline.presence_only
    d.set_presence_only(False)
    assert d.mood_card.isVisible() and not d.timeline.presence_only


def test_compact_window_is_small_and_on_top(qtbot):
    from PySide6.QtCore import Qt

    from classwatch.ui.compact import CompactWindow

    c = CompactWindow()
    qtbot.addWidget(c)
    assert c.width() <= 340 and c.height() <= 130
    assert c.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    buf = LiveBuffer()
    buf.append(mood_sample(0, -0.25, faces=9), T0)
    c.render(buf)
    assert c.gauge.text == "\u22120.25" and "9 faces" in c.faces.text()
    c.set_run_state("fault", "Screen locked")
    assert c.detail.text() == "Screen locked"


def test_expression_colours_cover_every_expression():
    assert set(theme.EXPRESSION_HEX) == set(EXPRESSIONS)


def test_long_sessions_are_drawn_from_about_one_point_per_pixel():
    from classwatch.ui.live import bin_mean, visible_slice

    x = T0 + np.arange(7200.0)
    y = np.where(np.arange(7200) < 3600, 0.5, -0.5)
    y[100:300] = np.nan  # a gap of 200 s stays a gap
    xb, yb = bin_mean(x, y, 720)
    assert len(xb) == 720 and yb[0] == pytest.approx(0.5) and yb[-1] == pytest.approx(-0.5)
    assert np.isnan(yb[10:30]).all() and np.isfinite(yb[9]) and np.isfinite(yb[30])
    shares = np.tile(np.linspace(0, 1, 7), (7200, 1))
    _, sb = bin_mean(x, shares, 100)
    assert sb.shape == (100, 7) and np.allclose(sb[0], shares[0])
    xb, yb = bin_mean(x[:10], y[:10], 720)
    assert len(xb) == 10  # few points are left alone
    xb, _ = bin_mean(x[:1001], y[:1001], 100)  # a remainder becomes one last point
    assert xb[-1] == pytest.approx(T0 + 1000)
    part = visible_slice(x, T0 + 100.5, T0 + 200.5)
    assert (part.start, part.stop) == (100, 202)


def test_tray_icons_for_every_state_load_from_the_svgs(qtbot):
    from classwatch.ui.icons import STATES, app_icon, icon_file, state_icon

    for state in STATES:
        assert icon_file(f"tray-{state}").is_file()
        pix = state_icon(state).pixmap(22, 22)
        assert not pix.isNull() and pix.width() == 22
    assert not app_icon().pixmap(64, 64).isNull()
    # The states look different (not one fallback drawing for all).
    images = [state_icon(s).pixmap(32, 32).toImage() for s in STATES]
    assert len({bytes(img.constBits()) for img in images}) == len(STATES)
    with pytest.raises(ValueError):
        state_icon("sleeping")


def test_footer_is_fully_readable_at_the_default_size(qtbot):
    """Issue 20: at the default size the footer ended in "Class aggregates only · no images s…"."""
    from PySide6.QtWidgets import QApplication, QLabel

    from classwatch.ui.dashboard import PRIVACY_LINE, Dashboard

    d = Dashboard(min_faces=3)
    qtbot.addWidget(d)
    d.show()
    d.set_source_text("demo: zoom_gallery_4tiles.mp4 \u00b7 not recorded")
    d.set_session("2025-03-04_0915", T0)
    d.render(LiveBuffer(), T0 + 754)
    QApplication.processEvents()
    assert d.size() == d.sizeHint().expandedTo(d.minimumSize())  # the default size
    privacy = d.privacy_label
    assert privacy.text() == PRIVACY_LINE and privacy.width() >= privacy.sizeHint().width()
    assert privacy.mapTo(d, privacy.rect().bottomRight()).x() < d.width()
    for label in (d.source_label, d.session_label):  # shown whole, not elided
        assert QLabel.text(label) == label.text() and not label.toolTip()
    assert d.session_label.text() == "Session \u201c2025-03-04_0915\u201d \u00b7 12 min"
    # A name too long for any window gives way with an ellipsis; the tooltip has it all.
    long_name = "demo: " + "a-very-long-recording-name-" * 6 + ".mp4"
    d.set_source_text(long_name)
    QApplication.processEvents()
    assert QLabel.text(d.source_label).endswith("\u2026") and d.source_label.toolTip() == long_name
    assert privacy.width() >= privacy.sizeHint().width()


# --- attention (issue 21) ------------------------------------------------------------------


def attention_sample(t: float, attention: float | None, **kw):
    """A reading with an attention share (None: withheld, e.g. below the minimum group size)."""
    from dataclasses import replace

    return replace(mood_sample(t, kw.pop("mood", 0.2), **kw), attention=attention)


def test_buffer_keeps_attention_and_its_trend():
    from classwatch.ui.live import Series, attention_status

    buf = LiveBuffer()
    for i in range(60):
        buf.append(attention_sample(i, None if i == 10 else 0.5 + i / 600), T0 + i)  # +0.1 per minute
    s = buf.series()
    assert np.isnan(s.attention[10]) and s.attention[-1] == pytest.approx(0.5 + 59 / 600)
    assert buf.trend(T0 + 59, of="attention") == pytest.approx(0.1, abs=0.01)
    assert Series.from_samples([(T0, attention_sample(0, 0.25))]).attention[0] == pytest.approx(0.25)
    assert attention_status(attention_sample(0, 0.7), 3) == ("value", "", "")
    state, title, _ = attention_status(attention_sample(0, None, mood=None, faces=2), 3)
    assert state == "unavailable" and title == reading_status(mood_sample(0, None, faces=2), 3)[1]


def test_dashboard_shows_attention_with_its_trend_withheld_and_off(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(min_faces=3)
    qtbot.addWidget(d)
    d.show()
    d.set_run_state("running")
    buf = LiveBuffer()
    for i in range(60):
        buf.append(attention_sample(i, 0.6 + i / 500), T0 + i)  # +0.12 per minute
    d.render(buf, T0 + 59)
    a = d.attention
    assert d.attention_card.isVisible()
    assert (a.value.text(), a.caption.text()) == ("72%", "facing the screen") and a.bar.value() == 72
    assert a.trend.text() == "\u2197 +12 points over the last minute"
    # Withheld below the minimum group size: a dash, in the words the mood uses.
    buf.append(attention_sample(60, None, mood=None, faces=2), T0 + 60)
    d.render(buf, T0 + 60)
    assert a.value.text() == "\u2013" and a.caption.text() == d.gauge.text == "Too few faces for a class reading"
    assert a.trend.text() == "" and a.bar.value() == 0
    # Switched off: hidden on the dashboard and on the timeline.
    assert d.timeline.attention_shown
    d.set_attention(False)
    assert not d.attention_card.isVisible() and not d.timeline.attention_shown
    d.set_presence_only(True)  # a new timeline keeps it off
    d.render(buf, T0 + 60)
    assert not d.timeline.attention_shown and not d.attention_card.isVisible()


def test_presence_only_dashboard_still_shows_attention(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(presence_only=True)
    qtbot.addWidget(d)
    d.show()
    buf = LiveBuffer()
    buf.append(attention_sample(0, 0.4, mood=None, faces=7, tiles=9), T0)
    d.render(buf, T0)
    assert d.presence_card.isVisible() and d.attention_card.isVisible()
    assert d.attention.value.text() == "40%"
    assert d.timeline.attention_shown and d.timeline.attention_curve.getData()[1][0] == pytest.approx(0.4)


def test_timeline_draws_attention_on_its_own_right_axis(qtbot):
    tl, _ = _live_timeline(qtbot, lambda i: attention_sample(i, None if i in (30, 31) else 0.75, mood=-0.5))
    x, y = tl.attention_curve.getData()
    assert len(x) == 120 and np.isnan(y[30]) and y[0] == pytest.approx(0.75)
    assert tl.attention_shown and tl.top.getAxis("right").isVisible()
    assert tl.bottom_plot.getAxis("right").isVisible()  # keeps both time axes aligned
    assert "facing the screen" in tl.legend.text()
    # The mood keeps its own scale on the left; attention is 0..1 on the right.
    assert tl.mood_curve.getData()[1][0] == pytest.approx(-0.5)
    assert tl.attention_view.viewRange()[1][0] < 0 < 1 < tl.attention_view.viewRange()[1][1]
    tl.grab()
    tl.set_attention_visible(False)
    assert not tl.attention_shown and not tl.attention_view.isVisible() and "facing" not in tl.legend.text()
    tl.set_attention_visible(True)
    assert tl.attention_shown


def test_timeline_of_a_session_without_attention_has_no_attention_axis(qtbot):
    from classwatch.ui.live import Series
    from classwatch.ui.timeline import TimelineWidget

    tl = TimelineWidget(live=False)
    qtbot.addWidget(tl)
    tl.set_series(Series.from_samples([(T0 + i, mood_sample(i, 0.1)) for i in range(10)]))
    assert not tl.attention_shown and not tl.top.getAxis("right").isVisible()


def test_panning_still_reaches_the_mood_plot_under_the_attention_line(qtbot):
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from classwatch.ui.timeline import TimelineWidget

    tl = TimelineWidget(live=True)
    qtbot.addWidget(tl)
    tl.resize(800, 300)
    tl.show()
    buf = LiveBuffer()
    for i in range(400):
        buf.append(attention_sample(i, 0.6), T0 + i)
    tl.set_series(buf.series(), now=T0 + 399)
    qtbot.waitExposed(tl)
    assert tl.attention_shown
    view = tl.canvas.viewport()
    start = tl.canvas.mapFromScene(tl.top.vb.sceneBoundingRect().center())
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, buttons):  # QTest.mouseMove does not hold the button down
        ev = QMouseEvent(kind, QPointF(pos), QPointF(view.mapToGlobal(pos)), left, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view, ev)

    send(QEvent.Type.MouseButtonPress, start, left)
    for dx in range(10, 160, 10):
        send(QEvent.Type.MouseMove, start + QPoint(dx, 0), left)
    send(QEvent.Type.MouseButtonRelease, start + QPoint(150, 0), none)
    assert not tl.following  # the drag panned the timeline


def test_compact_window_shows_one_attention_figure(qtbot):
    from classwatch.ui.compact import CompactWindow

    c = CompactWindow()
    qtbot.addWidget(c)
    c.show()
    buf = LiveBuffer()
    buf.append(attention_sample(0, 0.72), T0)
    c.render(buf)
    assert c.attention.text() == "72% facing" and c.attention.isVisible()
    buf.append(attention_sample(1, None, mood=None, faces=1), T0 + 1)
    c.render(buf)
    assert c.attention.text() == "\u2013 facing" and "Too few faces" in c.attention.toolTip()
    c.set_attention(False)
    assert not c.attention.isVisible() and c.height() <= 130


# --- the classroom camera's wording (issue 21) ----------------------------------------------


def room_sample(t: float, faces: int, expected: int, attention: float | None = 0.6, mood: float | None = 0.2):
    """A camera reading: no tiles (the whole frame is one), coverage = faces found / faces expected."""
    from dataclasses import replace

    return replace(mood_sample(t, mood, faces=faces, tiles=1, camera_off=0), coverage=faces / expected, attention=attention)


def test_dashboard_speaks_of_a_gallery_on_the_screen_by_default(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(min_faces=3)
    qtbot.addWidget(d)
    d.show()
    assert d.source_kind == "screen"
    assert "video-call gallery" in d.gauge.detail and "gallery view" in d.hint.text()
    assert "video-call gallery" in d.start_button.toolTip()
    buf = LiveBuffer()
    buf.append(attention_sample(0, 0.5, faces=10, tiles=12, camera_off=2), T0)
    d.render(buf, T0)
    assert d.trust.tiles.label.text() == "tiles" and d.trust.faces.label.text() == "faces analysed"
    assert d.trust.off.isVisible() and d.trust.off.label.text() == "cameras off"
    assert d.attention.caption.text() == "facing the screen"


def test_dashboard_in_a_room_shows_faces_of_those_expected_and_facing_the_front(qtbot):
    from classwatch.ui.dashboard import Dashboard

    d = Dashboard(min_faces=3)
    qtbot.addWidget(d)
    d.show()
    d.set_source_kind("camera")
    assert "classroom camera" in d.gauge.detail and "video-call" not in d.gauge.detail
    assert "point the camera at the class" in d.hint.text() and "classroom camera" in d.start_button.toolTip()
    assert d.attention.caption.text() == "facing the front" and "front of the room" in d.attention.toolTip()
    d.set_run_state("running")
    buf = LiveBuffer()
    for i in range(30):
        buf.append(room_sample(i, 18, 24, attention=0.55), T0 + i)
    d.render(buf, T0 + 29)
    t = d.trust
    assert (t.faces.label.text(), t.faces.value.text()) == ("faces found", "18")
    assert (t.tiles.label.text(), t.tiles.value.text()) == ("expected", "24")
    assert "18 faces found of 24 expected (75%)" in t.faces.toolTip()
    assert not t.off.isVisible() and t.confidence.isVisible()
    assert (d.attention.value.text(), d.attention.caption.text()) == ("55%", "facing the front")
    assert "facing the front (right axis)" in d.timeline.legend.text()
    qtbot.wait(50)  # let the layouts settle before the picture
    d.grab().save("/tmp/room_dash.png")
    # The class size entered in the settings is what is expected, even before a face is found.
    d.set_source_kind("camera", class_size=30)
    buf.append(room_sample(30, 0, 30, attention=None, mood=None), T0 + 30)
    d.render(buf, T0 + 30)
    assert (t.faces.value.text(), t.tiles.value.text()) == ("0", "30")
    # Presence-only: the big figures speak of the room too.
    d.set_presence_only(True)
    d.render(buf, T0 + 30)
    p = d.presence
    assert p.tiles.label.text() == "expected" and not p.off.isVisible() and "cameras off" not in d.presence_note.text()
    assert "facing the front" in d.timeline.legend.text()  # the new presence timeline too
    assert "tiles" not in d.timeline.legend.text() and not d.timeline.tiles_curve.isVisible()
    qtbot.wait(50)
    d.grab().save("/tmp/room_dash_presence.png")
    # Back to the screen: the gallery's words again.
    d.set_source_kind("screen")
    assert p.tiles.label.text() == "tiles" and not p.off.isHidden() and d.attention.facing == "facing the screen"
    assert "facing the screen" in d.timeline.legend.text()
    with pytest.raises(ValueError):
        d.set_source_kind("webcam")


def test_compact_window_in_a_room_shows_faces_of_those_expected(qtbot):
    from classwatch.ui.compact import CompactWindow

    c = CompactWindow()
    qtbot.addWidget(c)
    c.show()
    buf = LiveBuffer()
    buf.append(room_sample(0, 18, 24), T0)
    c.render(buf)
    assert c.faces.text() == "18 faces \u00b7 1 tiles \u00b7 0 off"  # the gallery's words, until told otherwise
    c.set_source_kind("camera")
    c.render(buf)
    assert c.faces.text() == "18 faces of 24 expected" and "tiles" not in c.faces.text()
    assert c.attention.text() == "60% facing" and "front of the room" in c.attention.toolTip()
    buf.append(room_sample(1, 0, 1, attention=None, mood=None), T0 + 1)
    c.render(buf)
    assert c.faces.text() == "0 faces found"
    c.set_source_kind("camera", class_size=28)
    c.render(buf)
    assert c.faces.text() == "0 faces of 28 expected"
    with pytest.raises(ValueError):
        c.set_source_kind("room")
