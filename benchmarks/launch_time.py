"""Time from launching the desktop app to its tray icon (or, with no system tray, its window).

Starts the app ``--runs`` times, one after the other, and for each takes
``time.time()`` just before ``Popen`` and the time the app writes with
``--startup-probe FILE`` once the tray icon is shown (on the first turn of its
event loop), or, where there is no system tray (Qt's offscreen platform, a
bare X server), once its window has first painted. The probe also says which
of the two it was, and so does this report. Then the app is stopped.

The first run is reported apart as "cold": the first launch after a build or a
reboot reads the libraries from disk. It is only truly cold with
``--drop-caches`` (Linux, root: empties the page cache before it); otherwise
it is the first of the series. The other runs are "warm".

    python benchmarks/launch_time.py [--exe dist/classwatch/classwatch-app] [--runs 5]
    python benchmarks/launch_time.py --source              # python -m classwatch app, from this checkout
    xvfb-run -a python benchmarks/launch_time.py --platform xcb   # a real X server

Settings and sessions go to a temporary folder (the first run creates it, as a
first launch would); the user's own are not touched.
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

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EXE = REPO / "dist" / "classwatch" / "classwatch-app"


def app_command(args: argparse.Namespace) -> list[str]:
    if args.source:
        return [sys.executable, "-m", "classwatch", "app"]
    return [str(args.exe)]


def drop_page_cache() -> None:
    """Make the next launch read its files from disk (Linux, root only)."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def read_probe(path: Path) -> tuple[float, str] | None:
    try:
        stamp, kind = path.read_text(encoding="ascii").split()
    except (FileNotFoundError, ValueError):
        return None
    return float(stamp), kind


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch(command: list[str], env: dict, folder: Path, run: int, timeout: float) -> tuple[float, str]:
    """One launch: (seconds from just before Popen to the probe, "tray" or "window")."""
    probe = folder / f"probe-{run}.txt"
    # --quit-after: a safety net, so an app this script fails to stop still exits by itself.
    cmd = [*command, "--startup-probe", str(probe), "--quit-after", str(timeout)]
    with open(folder / f"stderr-{run}.txt", "w+") as err:
        started = time.time()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            while (result := read_probe(probe)) is None:
                if proc.poll() is not None or time.time() - started > timeout:
                    err.seek(0)
                    raise SystemExit(f"run {run}: no startup probe (exit status {proc.poll()}):\n{err.read()[-2000:]}")
                time.sleep(0.005)
        finally:
            stop(proc)
    stamp, kind = result
    return stamp - started, kind


def summary(seconds: list[float]) -> dict:
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds), "runs": len(seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exe", type=Path, default=DEFAULT_EXE, help="the frozen app (default: %(default)s)")
    parser.add_argument("--source", action="store_true", help="run `python -m classwatch app` from this checkout instead")
    parser.add_argument("--runs", type=int, default=5, help="launches, the first counted as cold (default 5)")
    parser.add_argument("--platform", default="offscreen",
                        help="QT_QPA_PLATFORM for the app (default offscreen; xcb under xvfb-run)")
    parser.add_argument("--drop-caches", action="store_true", help="empty the page cache before the first run (root)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one launch (default 60)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (one cold, one or more warm)")
    if not args.source and not args.exe.is_file():
        parser.error(f"{args.exe} not found: build it with packaging/build.sh, or use --source")

    command = app_command(args)
    with tempfile.TemporaryDirectory(prefix="classwatch-launch-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ, QT_QPA_PLATFORM=args.platform,
                   CLASSWATCH_CONFIG_DIR=str(folder / "config"), CLASSWATCH_DATA_DIR=str(folder / "data"))
        env.pop("CLASSWATCH_POLICY", None)
        if args.drop_caches:
            drop_page_cache()
        runs = [launch(command, env, folder, run, args.timeout) for run in range(args.runs)]

    seconds = [s for s, _ in runs]
    report = {
        "command": " ".join(command), "platform": args.platform, "dropped_caches": args.drop_caches,
        "shown": sorted({kind for _, kind in runs}), "launch_s": seconds,
        "cold": summary(seconds[:1]), "warm": summary(seconds[1:]),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['command']}  (QT_QPA_PLATFORM={args.platform}; probe on: {', '.join(report['shown'])})")
    print("launch to " + "/".join(report["shown"]) + ", s: " + ", ".join(f"{s:.2f}" for s in seconds))
    cold = "cold (page cache dropped)" if args.drop_caches else "cold (first run)"
    print(f"{cold}: {seconds[0]:.2f} s")
    warm = report["warm"]
    print(f"warm: median {warm['median_s']:.2f} s, min {warm['min_s']:.2f}, max {warm['max_s']:.2f} ({warm['runs']} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
