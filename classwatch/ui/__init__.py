"""The Qt user interface: the only package that imports PySide6 or pyqtgraph.

A thin layer over the core: it shows ``MoodSample`` numbers and drives the
core's capture, pipeline, session store and settings; it computes nothing of
its own beyond display helpers.

- ``app``          QApplication set-up and ``run_app``, the ``classwatch app`` entry point
- ``controller``   the state machine tying the run, the recorder and the windows together (``choices``: region and settings changes)
- ``tray``, ``windows``, ``startup_probe``  the tray icon, window places, the launch-time probe
- ``worker``       ``runtime.run`` (capture, pipeline, faults, recording) in a QThread; its events as Qt signals
- ``dashboard``    the dashboard window (``panels``: trust and attention; ``widgets``: cards, the status pill)
- ``compact``      the compact always-on-top view
- ``app_source``, ``camera_picker``  the screen region or the classroom camera as the source
- ``gauge``, ``bars``, ``timeline``  the mood gauge, expressions now, the pyqtgraph timeline
- ``live``         ring buffer, trend and point thinning (numpy, no Qt)
- ``region_picker``, ``geometry``  the capture-region overlay; logical <-> capture pixel math (no Qt)
- ``settings_dialog``, ``autostart``  settings with policy locks; start on login per OS
- ``session_browser``, ``report_pdf``  past sessions, exports, the PDF report (``report_page``: the page and its cursor; ``report_charts``: the charts)
- ``bookmark``, ``icons``, ``theme``  bookmark popup, icons, look
"""
