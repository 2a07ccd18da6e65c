"""``classwatch analyze``: images, videos, folders of screenshots, or a camera live (``--camera``)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path

from ..detect import ALIASES, DETECTORS
from ..errors import CaptureError, InputError, ModelError, NoFacesError, PolicyError, SettingsError


def _every(value: str) -> float:
    """--every in seconds, within the range the settings allow. Not an argparse type, whose
    message would read "argument --every: ...": a typo and a number out of range get this one."""
    from ..settings import RANGES

    low, high = RANGES["sample_every_s"]
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan  # fails the range check
    if not low <= seconds <= high:
        raise SettingsError(f"--every must be a number of seconds between {low:g} and {high:g}, got {value}")
    return seconds


def check_model_name(model: str | None) -> None:
    """ModelError for an unknown model name, listing the bundled ones; without this the
    error names a card path that, in an installed app, is not even a folder there is.
    A .json or .tflite path is checked when it is loaded."""
    from ..classify import resolve_model

    if model is None or Path(model).suffix in (".json", ".tflite") or resolve_model(model).is_file():
        return
    folder = resolve_model(None).parent  # where the default model was found
    names = sorted(card.stem for card in folder.glob("*.json") if card.with_suffix(".tflite").is_file())
    raise ModelError(f"unknown model {model!r} (available: {', '.join(names) or 'none'}; or give a .json or .tflite path)")


def _camera_index(value: str) -> int:
    from ..settings import validate_setting

    try:
        return validate_setting("camera_index", int(value))
    except (ValueError, SettingsError):
        raise argparse.ArgumentTypeError(f"must be a camera number from 0 (see `classwatch cameras`), got {value!r}") from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {value!r}")
    return seconds


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``analyze``."""
    p = sub.add_parser("analyze", help="analyse images, videos or folders of gallery screenshots")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="image, video or folder (default: the bundled demo video)")
    p.add_argument("--camera", type=_camera_index, metavar="N", help="analyse camera N live instead of files (see `classwatch cameras`)")
    p.add_argument("--seconds", type=_seconds, metavar="S", help="with --camera: stop after S seconds (default: at Ctrl-C)")
    # No defaults here: an absent flag takes the value in force (settings, admin policy).
    p.add_argument("--detector", choices=(*DETECTORS, *ALIASES), help="face detector (default: from the settings, yunet)")
    p.add_argument("--every", metavar="SECONDS", help="sample a video or the camera every N seconds (default: from the settings, 1)")
    p.add_argument("--model", help="expression model name or .json/.tflite path")
    p.add_argument("--min-faces", type=int, help="minimum group size for a class reading, at least 3 (default: from the settings, 3)")
    p.add_argument("--json", action="store_true", help="print one JSON document to stdout")
    p.add_argument("--record", metavar="NAME", help="record the readings as a session with this name")
    p.add_argument("--db", type=Path, metavar="PATH", help="session database for --record (default: the user data folder)")
    p.set_defaults(func=cmd_analyze)


def _config(args: argparse.Namespace):
    """The pipeline configuration in force (attention, facing limits, smoothing), with what the flags changed."""
    return replace(args.effective.pipeline_config(), detector=args.detector, model=args.model,
                   emotions=args.emotions, min_faces=args.min_faces)


@contextmanager
def recording(args: argparse.Namespace, source: str, live: bool, extra: dict | None = None) -> Iterator:
    """``analyze --record NAME``: yields the ``runtime.Recorder`` that commits each reading of the
    run to the session store as soon as it is made (None without --record).

    The session records what the app records (``runtime.SessionSpec``): the full pipeline
    configuration and the sampling rate. A file run that fails or is interrupted leaves
    no session behind, so the same command can be run again. A live run (camera) keeps
    what it recorded: those minutes of the lesson will not come again.
    """
    if not args.record:
        yield None
        return
    from ..runtime import Recorder, SessionSpec
    from ..session import SessionStore, TimeBase

    started = time.time()
    settings = args.effective.settings
    db_path = args.effective.db_path(args.db)
    with SessionStore(db_path) as store:  # opened now: a database that cannot be used fails before any work
        if settings.retention_days:  # 0 = keep forever
            store.apply_retention(settings.retention_days)
    # Files are read faster or slower than they play: their readings carry media time, from `started`.
    spec = SessionSpec(source, _config(args), args.every, TimeBase.WALL if live else TimeBase.MEDIA,
                       settings.keep_tracks, args.record, extra or {})
    recorder = Recorder(db_path, spec, started_at=None if live else started)
    try:
        yield recorder
    except BaseException:
        recorder.close(discard=not live)
        raise
    recorder.close()


@contextmanager
def _readings(make_source: Callable, pipeline, args: argparse.Namespace, **run_args) -> Iterator[Iterator]:
    """The readings (``runtime.Reading``) of ``runtime.run`` over one source. A fault ends the
    run (raised, not retried); the source is let go of when the block ends, however it ends."""
    from ..runtime import Reading, run

    events = run(make_source, lambda: pipeline, args.every, retry_s=None, **run_args)
    try:
        yield (event for event in events if isinstance(event, Reading))
    finally:
        events.close()


def analyze_paths(paths: list[Path], args: argparse.Namespace, recorder=None) -> list[dict]:
    """Run the pipeline over every input, each reading recorded by ``recorder`` (a
    ``runtime.Recorder``, or None) on one time axis: inputs follow each other in time.

    No face in any input is a NoFacesError. Among several inputs, one without a face is
    reported like the others, with a warning: one blank screenshot must not lose the rest.
    """
    from ..pipeline import Pipeline
    from ..serialize import frame_to_dict
    from ..sources import FolderSource, open_source

    sources = [open_source(path, args.every) for path in paths]  # every path is checked before any work
    pipeline = Pipeline(_config(args))
    origin = recorder.started_at if recorder is not None else time.time()
    inputs, faceless, offset = [], [], 0.0
    for path, source in zip(paths, sources):
        pipeline.reset()
        frames = []
        with _readings(lambda s=source: s, pipeline, args, recorder=recorder, origin=origin + offset) as readings:
            for reading in readings:
                frames.append(frame_to_dict(reading.result))
                if isinstance(source, FolderSource):  # a folder is one time series: say which file each frame is
                    frames[-1]["file"] = str(source.files[reading.index])
        for problem in getattr(source, "unreadable", []):  # a folder's broken files, skipped
            print(f"classwatch: warning: skipped {problem}", file=sys.stderr)
        if not any(frame["faces"] for frame in frames):
            faceless.append(path)
        inputs.append({"path": str(path), "frames": frames})
        offset += frames[-1]["t"] + args.every
    if len(faceless) == len(paths):
        where = paths[0] if len(paths) == 1 else f"any of the {len(paths)} inputs"
        raise NoFacesError(f"no faces found in {where}")
    for path in faceless:
        print(f"classwatch: warning: no faces found in {path}", file=sys.stderr)
    return inputs


def analyze_camera(args: argparse.Namespace, on_frame: Callable[[dict], None]) -> None:
    """``analyze --camera N``: ``on_frame`` gets each reading's dict as it is made, until
    ``--seconds`` or Ctrl-C (KeyboardInterrupt); an unplugged camera is a CaptureError.
    With ``--record``, what was recorded before either stays recorded."""
    from ..aggregate import RoomCoverage
    from ..pipeline import Pipeline
    from ..serialize import frame_to_dict
    from ..sources import CameraSource

    settings = args.effective.settings
    if not settings.camera:
        why = args.effective.lock_reason if args.effective.is_locked("camera") else "it is turned off in the settings"
        raise PolicyError(f"--camera: the camera may not be used: {why}")
    pipeline = Pipeline(_config(args))  # before the camera opens: loading the models takes a moment
    made = 0
    try:
        with (recording(args, f"camera {args.camera}", live=True, extra={"class_size": settings.class_size}) as recorder,
              # Opened before the run starts its clock: --seconds and each reading's t count from the first picture.
              closing(CameraSource(args.camera)) as camera,
              _readings(lambda: camera, pipeline, args, recorder=recorder,
                        room=RoomCoverage(settings.class_size), seconds=args.seconds) as readings):
            for reading in readings:
                made += 1
                on_frame(frame_to_dict(reading.result))
    except CaptureError as exc:
        if args.record and made:
            raise CaptureError(f"{exc}; session {args.record!r} keeps the {made} reading(s) made before") from None
        raise


def _summary_line(frame: dict) -> str:
    mood = frame["mood"]
    parts = [f"t={frame['t']:7.1f}s"]
    if "file" in frame:  # a frame of a folder: which picture it is
        parts.append(Path(frame["file"]).name)
    if frame["grid"]:
        parts += [f"tiles {mood['tiles']:2d}", f"faces {mood['faces']:2d}", f"camera off {mood['camera_off']}"]
    else:  # a room or a single picture: no tiles, so coverage says how many of those expected were found
        parts += [f"faces {mood['faces']:2d}", f"coverage {mood['coverage']:.0%}"]
    if mood["available"]:
        top = sorted(mood["label_counts"].items(), key=lambda kv: -kv[1])
        parts.append(f"mood {mood['mood_index']:+.2f}")
        parts.append(", ".join(f"{name} {count}" for name, count in top if count))
        parts.append(f"confidence {mood['confidence']:.2f}")
    elif mood["distribution"] is None and mood["confidence"] == 0 and mood["faces"]:
        parts.append("presence only (expression analysis is off)")
    else:
        parts.append("mood unavailable (fewer faces than the minimum group size)")
    if mood["attention"] is not None:
        parts.append(f"attention {mood['attention']:.0%}")
    return "  ".join(parts)


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill the analyze flags from the settings in force; a flag that contradicts a locked setting is an error."""
    from ..policy import load_effective

    effective = load_effective()
    for warning in (effective.settings_warning, effective.policy_error):
        if warning:
            print(f"classwatch: warning: {warning}", file=sys.stderr)
    args.effective = effective
    args.detector = effective.cli_value("detector", args.detector, "--detector")
    args.every = effective.cli_value("sample_every_s", None if args.every is None else _every(args.every), "--every")
    args.min_faces = effective.cli_value("min_faces", args.min_faces, "--min-faces")
    # --model asks for expression analysis: an error where the policy turns it off.
    if args.model and not effective.settings.emotions and effective.is_locked("emotions"):
        raise PolicyError(f"--model: expression analysis is turned off: {effective.lock_reason}")
    args.emotions = effective.settings.emotions or bool(args.model)


def cmd_analyze(args: argparse.Namespace) -> int:
    from ..resources import asset_path

    if args.camera is not None and args.paths:
        raise InputError("give PATHs or --camera N, not both")
    if args.seconds is not None and args.camera is None:
        raise InputError("--seconds goes with --camera (a file is read to its end)")
    _apply_settings(args)
    check_model_name(args.model)
    if args.camera is not None:
        return _analyze_camera(args)
    paths = args.paths or [asset_path("demo/zoom_gallery_4tiles.mp4")]
    with recording(args, " ".join(map(str, paths)), live=False) as recorder:
        inputs = analyze_paths(paths, args, recorder)
    if args.json:
        _print_json(inputs)
        return 0
    for item in inputs:
        print(f"{item['path']}: {len(item['frames'])} frame(s)")
        for frame in item["frames"]:
            print("  " + _summary_line(frame))
    return 0


def _print_json(inputs: list[dict]) -> None:
    json.dump({"inputs": inputs}, sys.stdout)
    sys.stdout.write("\n")


def _analyze_camera(args: argparse.Namespace) -> int:
    """Text lines as the readings come, or one JSON document at the end: also at Ctrl-C
    (exit 130) and after an unplugged camera (a one-line error), with the readings made."""
    item = {"path": f"camera {args.camera}", "frames": []}

    def show(frame: dict) -> None:
        item["frames"].append(frame)
        if args.json:
            return
        if len(item["frames"]) == 1:  # not before: a camera that cannot be opened is one line on stderr, nothing more
            until = f"for {args.seconds:g} s" if args.seconds else "until Ctrl-C"
            print(f"{item['path']}: a reading every {args.every:g} s {until}")
        print("  " + _summary_line(frame), flush=True)

    try:
        analyze_camera(args, show)
    finally:
        if args.json and item["frames"]:
            _print_json([item])
    return 0
