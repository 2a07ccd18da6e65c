"""CPU the dashboard spends on each reading, by how old the session is.

    python benchmarks/dashboard_draw.py [--ages 30 600 2400] [--readings 60]

``benchmarks/app_cpu.py`` measures the app in its first minute, when the live
timeline (a 5-minute window by default) is still filling from the left. After
5 minutes it scrolls with every reading, so every curve and the time axis are
drawn afresh each second, over a full window of points. This benchmark builds
the dashboard on Qt's offscreen platform with a session of each ``--ages``
seconds already in its buffer (synthetic readings, one a second, 40 faces in
49 tiles, mood, expression shares and attention drifting at random), then times ``render`` plus the paint it causes for ``--readings``
new readings, and prints the median CPU milliseconds per reading. Each age is
timed three ways in the same process, reading by reading in turn, so the ratios
are from the same run: as shipped; with the wide lines drawn as pyqtgraph draws
them by default (one antialiased outline, not ``timeline._segmented``); and with
the expression bands filled in translucent colours (``theme.expression_color``
at ``timeline.BAND_OPACITY``) rather than ``theme.expression_fill``'s opaque ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

T0 = 1_700_000_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ages", type=float, nargs="+", default=[30.0, 600.0, 2400.0], help="session ages in seconds")
    parser.add_argument("--readings", type=int, default=60, help="readings timed per age and mode")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtWidgets import QApplication
    from classwatch.types import N_EXPRESSIONS, MoodSample
    from classwatch.ui import theme
    from classwatch.ui.dashboard import Dashboard
    from classwatch.ui.live import LiveBuffer
    from classwatch.ui.timeline import BAND_OPACITY

    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(0)

    def reading(t: float) -> MoodSample:
        """A 7x7 class's reading: 40 faces, shares, mood and attention that move a little each second."""
        probs = rng.dirichlet(np.full(N_EXPRESSIONS, 4.0)).astype(np.float32)
        counts = np.bincount(rng.choice(N_EXPRESSIONS, 40, p=probs), minlength=N_EXPRESSIONS)
        return MoodSample(t, 49, 40, 2, probs, counts, float(rng.uniform(-0.5, 0.5)), 0.6, 40 / 47, float(rng.uniform(0.5, 1.0)))
    print(f"dashboard redraw per reading (CPU ms, median of {args.readings}; Qt offscreen, 1080x800):")
    for age in args.ages:
        dashboard = Dashboard(min_faces=3)
        dashboard.resize(1080, 800)
        dashboard.show()
        dashboard.set_run_state("running")
        dashboard.set_attention(True)
        buffer = LiveBuffer()
        t = int(age)
        for i in range(t):
            buffer.append(reading(i), T0 + i)
        timeline = dashboard.timeline
        lines = [c.curve for c in (timeline.mood_curve, timeline.attention_curve)]
        modes = ("as shipped", "default lines", "translucent bands")
        costs: dict[str, list[float]] = {mode: [] for mode in modes}
        for k in range(len(modes) * args.readings):
            mode = modes[k % len(modes)]
            for line in lines:
                line.setSegmentedLineMode("auto" if mode == "default lines" else "on")
            for name, band in timeline.share_curves.items():
                translucent = theme.expression_color(name, round(255 * BAND_OPACITY))
                band.setBrush(translucent if mode == "translucent bands" else theme.expression_fill(name, BAND_OPACITY))
            buffer.append(reading(t), T0 + t)
            start = time.process_time()
            dashboard.render(buffer, T0 + t)
            app.processEvents()  # the paint the new reading asked for
            costs[mode].append(time.process_time() - start)
            t += 1
        shipped, lines_cost, bands_cost = (1000 * statistics.median(costs[m]) for m in modes)
        print(f"  session {age / 60:5.1f} min old: {shipped:5.1f} ms as shipped; {lines_cost:5.1f} ms with pyqtgraph's "
              f"default lines ({lines_cost / shipped:.2f}x), {bands_cost:5.1f} ms with translucent bands "
              f"({bands_cost / shipped:.2f}x)")
        dashboard.close()


if __name__ == "__main__":
    main()
