"""CPU use of the desktop app: analysing a 7x7 gallery at the default rate, versus idle.

Runs ``classwatch app`` (``python -m classwatch app``) in a
subprocess on Qt's offscreen platform, with fresh settings and data folders
(default settings: one reading a second, YuNet + the expression model):

- analysing: ``--demo`` on a moving synthetic 7x7 gallery
  (``animate_gallery(render_gallery(7, 7))``, 1920x1080, 60 frames a second
  apart saved as uncompressed BMPs in a temporary folder, looped), dashboard
  shown. The participants move, so the faces followed between detections
  (detect/follow.py) are really followed, not read off a still picture.
  BMP, not PNG: the app's real source is a screen grab, a copy of raw
  pixels (mss, 1920x1080 under Xvfb: about 12 ms CPU), which reading a BMP
  (about 8 ms) resembles and decoding a PNG (about 36 ms) does not;
- analysing, compact: the same with ``--compact`` (the small always-on-top view);
- idle: the app started, dashboard shown, not analysing (the baseline);
- pipeline only: ``Pipeline.process`` on the same frames in this process, no
  Qt at all: the analysis cost the app adds its own overhead to, with OpenCV
  on one thread as the app's live loop runs it, and again on OpenCV's default
  threads (all cores) for comparison.

For each, the process CPU time (user + system, all threads) is sampled every
``--window`` seconds after a ``--warmup`` (start-up and model loading are not
the steady state) and the median of CPU seconds / wall seconds over the
windows is reported, in % of one core, with the mean over the whole measured
time: the median leaves out the window in which the layout is found afresh
(every 30 s, ``layout/tracker.py``), the mean counts it once per 30 s, as a
long session does. The recorded session tells how many
readings were made and how long the first one took from process start.

    python benchmarks/app_cpu.py [--seconds 30] [--window 5] [--warmup 6] [--json]

Linux (reads /proc) or any OS with psutil installed. The machine should be
otherwise quiet: other processes do not count against the app's CPU time,
but they slow it down.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import checkout  # first: the project on sys.path, or a one-line error without its dependencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads, in seconds."""
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except ImportError:
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15 of stat)


def run(label: str, extra: list[str], seconds: float, window: float, warmup: float, folder: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               CLASSWATCH_CONFIG_DIR=str(folder / f"config-{label}"), CLASSWATCH_DATA_DIR=str(folder / f"data-{label}"))
    env.pop("CLASSWATCH_POLICY", None)
    total = warmup + seconds + 3
    cmd = [sys.executable, "-m", "classwatch", "app", "--quit-after", str(total), *extra]
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=checkout.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(warmup)
        samples = []
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        first_cpu, first_t = c0, t0
        end = t0 + seconds
        while time.monotonic() < end - 1e-3 and proc.poll() is None:
            time.sleep(window)
            c1, t1 = cpu_seconds(proc.pid), time.monotonic()
            samples.append(100.0 * (c1 - c0) / (t1 - t0))
            c0, t0 = c1, t1
    finally:
        out, err = proc.communicate(timeout=total + 60)
    result = {
        "label": label,
        "cpu_percent_median": round(statistics.median(samples), 1) if samples else None,
        "cpu_percent_windows": [round(s, 1) for s in samples],
        "cpu_percent_mean": round(100.0 * (c0 - first_cpu) / (t0 - first_t), 1) if samples else None,
        "exit_status": proc.returncode,
    }
    db = folder / f"data-{label}" / "sessions.sqlite"
    if db.exists():
        from classwatch.session import SessionStore

        with SessionStore(db, create=False) as store:
            infos = store.list_sessions()
            if infos:
                data = store.load(infos[-1].name)
                result["readings"] = len(data.samples)
                result["faces_last"] = data.samples[-1].sample.faces if data.samples else None
                if data.samples:
                    result["first_reading_after_s"] = round(data.samples[0].wall_time - started, 1)
    if proc.returncode:
        result["stderr"] = err[-800:]
    return result


def pipeline_only(images: list, every: float, threads: int = 1, warmup: int = 3) -> dict:
    """The same analysis without the app: CPU seconds per frame of Pipeline.process, as % of one core
    at one frame every ``every`` seconds (the floor the app cannot go below), with OpenCV on
    ``threads`` threads (the app's live loop uses one; 0: OpenCV's default, all cores). Also the
    wall time per frame, which more threads shorten."""
    import cv2

    from classwatch.pipeline import Pipeline, PipelineConfig
    from classwatch.types import Frame

    before = cv2.getNumThreads()
    cv2.setNumThreads(threads if threads else -1)
    try:
        pipeline = Pipeline(PipelineConfig())
        costs, walls = [], []
        for i, image in enumerate(images):
            c, w = time.process_time(), time.perf_counter()
            pipeline.process(Frame(image, i * every))
            if i >= warmup:  # the first frames detect every tile
                costs.append(time.process_time() - c)
                walls.append(time.perf_counter() - w)
    finally:
        cv2.setNumThreads(before)
    per_frame = statistics.median(costs)
    label = "pipeline only" if threads == 1 else f"pipeline, cv2 {threads or 'default'} threads"
    return {"label": label, "opencv_threads": threads, "cpu_ms_per_frame": round(1000 * per_frame, 1),
            "wall_ms_per_frame": round(1000 * statistics.median(walls), 1),
            "cpu_percent_median": round(100 * per_frame / every, 1),
            "cpu_percent_mean": round(100 * statistics.mean(costs) / every, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per run (default 30)")
    parser.add_argument("--window", type=float, default=5.0, help="seconds per CPU sample (default 5)")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds before measuring (default 6)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import cv2

    checkout.tests_on_path()
    from synthetic import animate_gallery, render_gallery

    with tempfile.TemporaryDirectory(prefix="classwatch-cpu-") as tmp:
        folder = Path(tmp)
        gallery = folder / "gallery_7x7"
        gallery.mkdir()
        images = [step.gallery.image for step in animate_gallery(render_gallery(7, 7), 60, seed=1)]
        for i, image in enumerate(images):  # uncompressed: the app sees exactly these, read at a grab's cost
            cv2.imwrite(str(gallery / f"frame_{i:03d}.bmp"), image)
        runs = [
            pipeline_only(images, every=1.0),
            pipeline_only(images, every=1.0, threads=0),
            run("idle", [], args.seconds, args.window, args.warmup, folder),
            run("analysing", ["--demo", str(gallery)], args.seconds, args.window, args.warmup, folder),
            run("analysing-compact", ["--demo", str(gallery), "--compact"], args.seconds, args.window, args.warmup, folder),
        ]
    report = {"cores": os.cpu_count(), "python": sys.version.split()[0], "gallery": "moving 7x7, 1920x1080", "runs": runs}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"classwatch app CPU use ({report['cores']} cores, Python {report['python']}, gallery {report['gallery']}):")
    for r in runs:
        if "cpu_ms_per_frame" in r:
            print(f"  {r['label']:18s} {r['cpu_percent_median']}% of one core at 1 reading/s (mean {r['cpu_percent_mean']}%; "
                  f"median {r['cpu_ms_per_frame']} ms CPU, {r['wall_ms_per_frame']} ms wall per frame, in-process, no Qt)")
            continue
        extra = ""
        if "readings" in r:
            extra = f"  readings {r['readings']}, faces {r['faces_last']}, first reading {r.get('first_reading_after_s')} s after start"
        print(f"  {r['label']:18s} {r['cpu_percent_median']}% of one core (median; mean {r['cpu_percent_mean']}%; "
              f"windows {r['cpu_percent_windows']}){extra}")
        if r.get("stderr"):
            print("    stderr: " + r["stderr"].strip().replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
