"""The past-sessions window shows a session's mean attention beside its other figures (issue 21)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from test_ui_fakes import isolated  # noqa: E402,F401

from classwatch.policy import load_effective  # noqa: E402
from classwatch.session import SessionStore  # noqa: E402
from classwatch.session.model import ATTENTION_MEANING  # noqa: E402
from session_samples import T0, build  # noqa: E402


def test_the_browser_shows_mean_attention_or_a_dash_when_not_measured(qtbot, isolated):  # noqa: F811
    from classwatch.ui.session_browser import SessionBrowser

    db = isolated / "sessions.sqlite"
    with SessionStore(db) as store:
        store.import_session(build("with attention", seconds=120, bookmarks={60: "Quiz"}, attention=lambda i: 0.75))
        store.import_session(build("before attention", start=T0 + 3600, seconds=60))
    b = SessionBrowser(db, load_effective())
    qtbot.addWidget(b)

    b.open_session("with attention")
    assert b.fig_attention.value.text() == "75%"
    assert b.fig_attention.toolTip() == ATTENTION_MEANING  # what it is, not concentration
    assert "facing 75%" in b.bookmark_list.item(1).text()

    b.open_session("before attention")
    assert b.fig_attention.value.text() == "\u2013" and "not measured" in b.fig_attention.toolTip()
    assert "facing" not in b.bookmark_list.item(0).text()
