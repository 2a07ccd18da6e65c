"""The desktop app's entry point: ``classwatch app`` (``run_app``) and the QApplication it runs in.

The parts live beside it: ``controller.py`` (the state machine tying the run,
the recorder and the windows together), ``choices.py`` (region and settings
changes), ``tray.py``, ``windows.py`` (window places), ``startup_probe.py``,
``app_source.py`` (what a run reads) and ``worker.py`` (the run loop of
``classwatch.runtime`` in a Qt thread).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..errors import ClasswatchError
from ..policy import load_effective
from . import theme
from .controller import Controller
from .icons import app_icon
from .startup_probe import arm_startup_probe

log = logging.getLogger(__name__)

__all__ = ["Controller", "arm_startup_probe", "make_application", "run_app"]


def _needs_offscreen() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _require_folder(path: Path) -> None:
    """Fail with one line before any window opens, not in the middle of the event loop."""
    if not Path(path).parent.is_dir():
        raise ClasswatchError(f"cannot write {path}: the folder {Path(path).parent} does not exist")


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0] if sys.argv else "classwatch"])
    app.setApplicationName("classwatch")
    app.setOrganizationName("classwatch")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    theme.apply(app)
    return app


def run_app(
    demo: Path | None = None,
    db: Path | None = None,
    record: bool = False,
    screenshot: Path | None = None,
    quit_after: float | None = None,
    compact: bool = False,
    startup_probe: Path | None = None,
) -> int:
    """``classwatch app``: returns the exit status.

    record: record a ``demo`` run as a session (the screen is always recorded).
    """
    if screenshot is not None and quit_after is None:
        quit_after = 6.0
    if _needs_offscreen():
        if screenshot is None and quit_after is None:
            raise ClasswatchError("no display to show the app on (set DISPLAY, or use --screenshot FILE --quit-after SECONDS)")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if demo is not None:
        from ..sources import open_source

        open_source(demo)  # a bad path fails here, with one line, before any window opens
    for path in (screenshot, startup_probe):
        if path is not None:
            _require_folder(path)
    logging.basicConfig(level=logging.INFO if os.environ.get("CLASSWATCH_DEBUG") else logging.WARNING,
                        format="classwatch: %(message)s")

    effective = load_effective()
    db_path = effective.db_path(db)
    app = make_application()
    # A screenshot run is reproducible: default window sizes, no tray.
    controller = Controller(effective, db_path, demo=demo, record=demo is None or record,
                            use_tray=screenshot is None, restore_windows=screenshot is None)
    for warning in (effective.settings_warning, effective.policy_error):
        if warning:
            log.warning("%s", warning)
    if compact:
        controller.show_compact()
    else:
        controller.show_dashboard()
    if demo is not None:
        controller.start()
    if startup_probe is not None:
        arm_startup_probe(controller, Path(startup_probe))
    app.aboutToQuit.connect(controller.shutdown)

    status = {"code": 0}
    if quit_after is not None:
        def finish() -> None:
            if screenshot is not None:
                try:
                    controller.save_screenshot(Path(screenshot))
                except ClasswatchError as exc:
                    print(f"classwatch: error: {exc}", file=sys.stderr)
                    status["code"] = 2
            controller.quit()

        QTimer.singleShot(int(quit_after * 1000), finish)
    app.exec()
    controller.shutdown()
    return status["code"]
