"""The ``classwatch`` command line.

Every user mistake (bad path, corrupt model, no faces, ...) is a
ClasswatchError: it is printed as one line on stderr and the exit status is 2,
as are usage errors (a bad flag value). Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from . import __version__
from .detect import ALIASES, DETECTORS
from .errors import CaptureError, ClasswatchError, InputError, ModelError, NoFacesError, PolicyError, SettingsError
from .policy_commands import register as register_policy_commands
from .session.commands import register as register_session_commands
from .ui.app_command import register as register_app_command
from .types import EXPRESSIONS

EXIT_USER_ERROR = 2
#: 128 + SIGPIPE: what a Unix tool stopped by a closed pipe (`cat big | head`) exits with.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """Usage errors in the one-line form of every other error (the usage is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"classwatch: error: {message} (see {self.prog} --help)\n")


def _every(value: str) -> float:
    """--every in seconds, within the range the settings allow. Not an argparse type, whose
    message would read "argument --every: ...": a typo and a number out of range get this one."""
    from .settings import RANGES

    low, high = RANGES["sample_every_s"]
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan  # fails the range check
    if not low <= seconds <= high:
        raise SettingsError(f"--every must be a number of seconds between {low:g} and {high:g}, got {value}")
    return seconds


def _check_model_name(model: str | None) -> None:
    """ModelError for an unknown model name, listing the bundled ones; without this the
    error names a card path that, in an installed app, is not even a folder there is.
    A .json or .tflite path is checked when it is loaded."""
    from .classify import resolve_model

    if model is None or Path(model).suffix in (".json", ".tflite") or resolve_model(model).is_file():
        return
    folder = resolve_model(None).parent  # where the default model was found
    names = sorted(card.stem for card in folder.glob("*.json") if card.with_suffix(".tflite").is_file())
    raise ModelError(f"unknown model {model!r} (available: {', '.join(names) or 'none'}; or give a .json or .tflite path)")


def _count(value: str) -> int:
    """A whole number of at least 1 (argparse shows the message as a one-line usage error)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def _camera_index(value: str) -> int:
    from .settings import validate_setting

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="classwatch", description="Anonymous class-mood readings from a video-call gallery.")
    parser.add_argument("--version", action="version", version=f"classwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    p = sub.add_parser("cameras", help="list the cameras analyze --camera can read")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cameras)

    p = sub.add_parser("eval-model", help="accuracy of an expression model on a FER2013-format .npz")
    p.add_argument("npz", type=Path)
    p.add_argument("--model", help="expression model name or .json/.tflite path (default: the pipeline's model)")
    p.add_argument("--usage", type=int, default=None, help="only rows with this `usage` value (1 = PublicTest)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_model)

    p = sub.add_parser("bench", help="end-to-end speed on real screenshots and synthetic galleries")
    p.add_argument("--repeats", type=_count, default=9, help="timed runs per configuration (default: 9)")
    p.add_argument("--galleries", type=Path, metavar="DIR",
                   help="labelled real screenshots (a folder with labels.json; default: the development set beside a checkout)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    register_session_commands(sub)
    register_policy_commands(sub)
    register_app_command(sub)
    return parser


def _pipeline(args: argparse.Namespace):
    """The pipeline for the settings in force (attention, facing limits, smoothing), with what the flags changed."""
    from .pipeline import Pipeline

    config = replace(args.effective.pipeline_config(), detector=args.detector, model=args.model,
                     emotions=args.emotions, min_faces=args.min_faces)
    return Pipeline(config)


def analyze_paths(paths: list[Path], args: argparse.Namespace, on_result: Callable | None = None) -> list[dict]:
    """Run the pipeline over every input; ``on_result(pipeline, result, t)`` sees each frame as it
    is made, with ``t`` counted from the start of the first input (inputs follow each other in time).

    No face in any input is a NoFacesError. Among several inputs, one without a face is
    reported like the others, with a warning: one blank screenshot must not lose the rest.
    """
    from .serialize import frame_to_dict
    from .sources import FolderSource, open_source

    sources = [open_source(path, args.every) for path in paths]  # every path is checked before any work
    pipeline = _pipeline(args)
    inputs, faceless, offset = [], [], 0.0
    for path, source in zip(paths, sources):
        pipeline.reset()
        frames = []
        for frame in source:
            result = pipeline.process(frame)
            if on_result:
                on_result(pipeline, result, offset + result.t)
            frames.append(frame_to_dict(result))
            if isinstance(source, FolderSource):  # a folder is one time series: say which file each frame is
                frames[-1]["file"] = str(source.files[frame.index])
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


@contextmanager
def recording(args: argparse.Namespace, source: str, live: bool) -> Iterator[Callable]:
    """``analyze --record NAME``: yields the ``on_result`` that commits each sample to the
    session store as soon as it is made.

    A file run that fails or is interrupted leaves no session behind, so the same
    command can be run again. A live run (camera) keeps what it recorded: those
    minutes of the lesson will not come again.
    """
    from .session import SessionStore, TimeBase

    started = time.time()
    settings = args.effective.settings
    with SessionStore(args.effective.db_path(args.db)) as store:
        if settings.retention_days:  # 0 = keep forever
            store.apply_retention(settings.retention_days)
        writer = None

        def record(pipeline, result, t: float) -> None:
            nonlocal writer
            if writer is None:  # opened on the first result: a bad input must not leave an empty session
                card = pipeline.classifier.card if pipeline.classifier else None
                writer = store.start_session(
                    args.record,
                    started_at=started,
                    source=source,
                    detector=args.detector,
                    model_name=card.name if card else "",
                    model_version=card.version if card else "",
                    settings={"every": args.every, "min_faces": args.min_faces, "emotions": args.emotions,
                              **({"class_size": settings.class_size} if live else {})},
                    keep_tracks=settings.keep_tracks,
                    # Files are read faster or slower than they play: their samples carry media time.
                    time_base=TimeBase.WALL if live else TimeBase.MEDIA,
                )
            # Live: t is on the camera's monotonic clock, which a clock change during the lesson cannot move.
            writer.append(result.mood, started + t)

        try:
            yield record
        except BaseException:
            if writer is not None and not live:
                writer.close()
                store.delete(writer.name)
            raise
        finally:
            if writer is not None:
                writer.close()


def analyze_camera(args: argparse.Namespace, on_frame: Callable[[dict], None]) -> None:
    """``analyze --camera N``: ``on_frame`` gets each reading's dict as it is made, until
    ``--seconds`` or Ctrl-C (KeyboardInterrupt); an unplugged camera is a CaptureError.
    With ``--record``, what was recorded before either stays recorded."""
    from .aggregate import RoomCoverage
    from .serialize import frame_to_dict
    from .sources import CameraSource

    settings = args.effective.settings
    if not settings.camera:
        why = args.effective.lock_reason if args.effective.is_locked("camera") else "it is turned off in the settings"
        raise PolicyError(f"--camera: the camera may not be used: {why}")
    pipeline = _pipeline(args)  # before the camera opens: loading the models takes a moment
    source = CameraSource(args.camera, args.every, args.seconds)
    room = RoomCoverage(settings.class_size)
    record = recording(args, f"camera {args.camera}", live=True) if args.record else nullcontext()
    readings = 0
    try:
        with record as on_result:
            for frame in source:
                result = pipeline.process(frame)
                result = replace(result, mood=room(result.layout, result.mood))
                if on_result:
                    on_result(pipeline, result, result.t)
                readings += 1
                on_frame(frame_to_dict(result))
    except CaptureError as exc:
        if args.record and readings:
            raise CaptureError(f"{exc}; session {args.record!r} keeps the {readings} reading(s) made before") from None
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
    from .policy import load_effective

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
    from .resources import asset_path

    if args.camera is not None and args.paths:
        raise InputError("give PATHs or --camera N, not both")
    if args.seconds is not None and args.camera is None:
        raise InputError("--seconds goes with --camera (a file is read to its end)")
    _apply_settings(args)
    _check_model_name(args.model)
    if args.camera is not None:
        return _analyze_camera(args)
    paths = args.paths or [asset_path("demo/zoom_gallery_4tiles.mp4")]
    with recording(args, " ".join(map(str, paths)), live=False) if args.record else nullcontext() as record:
        inputs = analyze_paths(paths, args, record)
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


def cmd_cameras(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .sources import list_cameras

    cameras = list_cameras()
    if args.json:
        print(json.dumps([asdict(camera) for camera in cameras]))
    elif not cameras:
        print("no camera found (one in use by another program is not listed)")
    for camera in [] if args.json else cameras:
        print(f"{camera.index}  {camera.width}x{camera.height}  {camera.name or '(no name)'}")
    return 0


def _read_npz(path: Path) -> tuple:
    """The ``pixels``, ``label`` and ``usage`` (None if absent) arrays of a FER2013-format .npz."""
    import zipfile
    import zlib

    import numpy as np

    if not path.is_file():
        raise InputError(f"no such file: {path}")
    unreadable = f"{path} is not a readable .npz file"
    try:
        data = np.load(path)
    except (OSError, ValueError, EOFError):  # ValueError: numpy took the bytes for a pickle
        raise InputError(unreadable) from None
    if not isinstance(data, np.lib.npyio.NpzFile):  # a single .npy array
        raise InputError(unreadable)
    with data:
        for name in ("pixels", "label"):
            if name not in data:
                raise InputError(f"{path} has no array '{name}' (need `pixels` and `label`)")
        try:
            return data["pixels"], data["label"], data["usage"] if "usage" in data else None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):  # a damaged member
            raise InputError(unreadable) from None


def cmd_eval_model(args: argparse.Namespace) -> int:
    import numpy as np

    from .classify import ExpressionClassifier
    from .metrics import check_labels, evaluate_probs

    pixels, labels, usage = _read_npz(args.npz)
    if pixels.ndim != 3 or pixels.shape[1:] != (48, 48) or labels.shape != (len(pixels),):
        raise InputError(f"{args.npz}: `pixels` must be (N, 48, 48) and `label` (N,)")
    where = ""
    if args.usage is not None:
        if usage is None or usage.shape != labels.shape:
            raise InputError(f"{args.npz} has no `usage` array (one value per row)")
        keep = usage == args.usage
        pixels, labels, where = pixels[keep], labels[keep], f" (rows with usage {args.usage})"
    try:  # before the model runs: a bad label must not cost a whole evaluation
        labels = check_labels(labels)
    except ValueError as exc:
        raise InputError(f"{args.npz}{where}: {exc}") from None
    _check_model_name(args.model)
    classifier = ExpressionClassifier(args.model)
    probs = np.concatenate([classifier.classify_crops(pixels[i : i + 256]).probs for i in range(0, len(pixels), 256)])
    report = evaluate_probs(probs, labels)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    print(f"model {classifier.name}: {report.n} faces, accuracy {report.accuracy:.4f}, ECE {report.ece:.4f}")
    print("per-class recall: " + ", ".join(f"{k} {v:.3f}" for k, v in report.per_class_recall.items()))
    print("confusion (rows = true, columns = predicted, order " + " ".join(EXPRESSIONS) + "):")
    for row in report.confusion:
        print("  " + " ".join(f"{v:5d}" for v in row))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import format_report, run_bench

    galleries = args.galleries
    if galleries is not None and not (galleries / "labels.json").is_file():
        raise InputError(f"no labels.json in {galleries}")
    report = run_bench(repeats=args.repeats, **({"galleries": galleries} if galleries is not None else {}))
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `classwatch` is the teacher's way in: start the app
        args = parser.parse_args(["app"])
    try:
        status = args.func(args)
        sys.stdout.flush()  # a reader that went away shows here, not in Python's own flush at exit
        return status
    except ClasswatchError as exc:
        print(f"classwatch: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # `classwatch analyze BIG_FOLDER --json | head`: the reader has what it wanted, so stop
        # quietly. The Python docs' recipe: stdout now goes to the null device, so the flush at
        # exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
