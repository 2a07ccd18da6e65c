"""The ``classwatch`` command line.

Every user mistake (bad path, corrupt model, no faces, ...) is a
ClasswatchError: it is printed as one line on stderr and the exit status is 2.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .detect import ALIASES, DETECTORS
from .errors import ClasswatchError, InputError, NoFacesError, PolicyError
from .policy_commands import register as register_policy_commands
from .session.commands import register as register_session_commands
from .ui.app_command import register as register_app_command
from .types import EXPRESSIONS

EXIT_USER_ERROR = 2


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return number


def _count(value: str) -> int:
    """A whole number of at least 1 (argparse shows the message as a one-line usage error)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="classwatch", description="Anonymous class-mood readings from a video-call gallery.")
    parser.add_argument("--version", action="version", version=f"classwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse images, videos or folders of gallery screenshots")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="image, video or folder (default: the bundled demo video)")
    # No defaults here: an absent flag takes the value in force (settings, admin policy).
    p.add_argument("--detector", choices=(*DETECTORS, *ALIASES), help="face detector (default: from the settings, yunet)")
    p.add_argument("--every", type=_positive, metavar="SECONDS", help="sample a video every N seconds (default: from the settings, 1)")
    p.add_argument("--model", help="expression model name or .json/.tflite path")
    p.add_argument("--min-faces", type=int, help="minimum group size for a class reading, at least 3 (default: from the settings, 3)")
    p.add_argument("--json", action="store_true", help="print one JSON document to stdout")
    p.add_argument("--record", metavar="NAME", help="record the readings as a session with this name")
    p.add_argument("--db", type=Path, metavar="PATH", help="session database for --record (default: the user data folder)")
    p.set_defaults(func=cmd_analyze)

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


def analyze_paths(paths: list[Path], args: argparse.Namespace, on_result: Callable | None = None) -> list[dict]:
    """Run the pipeline over every input; ``on_result(result, t)`` sees each frame as it is made,
    with ``t`` counted from the start of the first input (inputs follow each other in time)."""
    from .pipeline import Pipeline, PipelineConfig
    from .serialize import frame_to_dict
    from .sources import open_source

    sources = [open_source(path, args.every) for path in paths]  # every path is checked before any work
    pipeline = Pipeline(PipelineConfig(detector=args.detector, model=args.model, emotions=args.emotions,
                                       min_faces=args.min_faces, smoothing_s=args.smoothing_s))
    inputs, offset = [], 0.0
    for path, source in zip(paths, sources):
        pipeline.reset()
        frames = []
        for frame in source:
            result = pipeline.process(frame)
            if on_result:
                on_result(pipeline, result, offset + result.t)
            frames.append(frame_to_dict(result))
        if not any(frame["faces"] for frame in frames):
            raise NoFacesError(f"no faces found in {path}")
        inputs.append({"path": str(path), "frames": frames})
        offset += frames[-1]["t"] + args.every
    return inputs


def analyze_and_record(paths: list[Path], args: argparse.Namespace) -> list[dict]:
    """``analyze --record NAME``: each sample is committed to the session store as soon as it is made."""
    import time

    from .session import SessionStore

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
                    source=" ".join(str(p) for p in paths),
                    detector=args.detector,
                    model_name=card.name if card else "",
                    model_version=card.version if card else "",
                    settings={"every": args.every, "min_faces": args.min_faces, "emotions": args.emotions},
                    keep_tracks=settings.keep_tracks,
                )
            writer.append(result.mood, started + t)

        try:
            return analyze_paths(paths, args, record)
        finally:
            if writer is not None:
                writer.close()


def _summary_line(frame: dict) -> str:
    mood = frame["mood"]
    parts = [f"t={frame['t']:7.1f}s", f"tiles {mood['tiles']:2d}", f"faces {mood['faces']:2d}", f"camera off {mood['camera_off']}"]
    if mood["available"]:
        top = sorted(mood["label_counts"].items(), key=lambda kv: -kv[1])
        parts.append(f"mood {mood['mood_index']:+.2f}")
        parts.append(", ".join(f"{name} {count}" for name, count in top if count))
        parts.append(f"confidence {mood['confidence']:.2f}")
    elif mood["distribution"] is None and mood["confidence"] == 0 and mood["faces"]:
        parts.append("presence only (expression analysis is off)")
    else:
        parts.append("mood unavailable (fewer faces than the minimum group size)")
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
    args.every = effective.cli_value("sample_every_s", args.every, "--every")
    args.min_faces = effective.cli_value("min_faces", args.min_faces, "--min-faces")
    args.smoothing_s = effective.settings.smoothing_s
    # --model asks for expression analysis: an error where the policy turns it off.
    if args.model and not effective.settings.emotions and effective.is_locked("emotions"):
        raise PolicyError(f"--model: expression analysis is turned off: {effective.lock_reason}")
    args.emotions = effective.settings.emotions or bool(args.model)


def cmd_analyze(args: argparse.Namespace) -> int:
    from .resources import asset_path

    _apply_settings(args)
    paths = args.paths or [asset_path("demo/zoom_gallery_4tiles.mp4")]
    inputs = analyze_and_record(paths, args) if args.record else analyze_paths(paths, args)
    if args.json:
        json.dump({"inputs": inputs}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for item in inputs:
        print(f"{item['path']}: {len(item['frames'])} frame(s)")
        for frame in item["frames"]:
            print("  " + _summary_line(frame))
    return 0


def cmd_eval_model(args: argparse.Namespace) -> int:
    import numpy as np

    from .classify import ExpressionClassifier
    from .metrics import evaluate_probs

    if not args.npz.is_file():
        raise InputError(f"no such file: {args.npz}")
    try:
        with np.load(args.npz) as data:
            pixels, labels = data["pixels"], data["label"]
            usage = data["usage"] if "usage" in data else None
    except KeyError as exc:
        raise InputError(f"{args.npz} lacks the array {exc} (need `pixels` and `label`)") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable .npz file: {args.npz} ({exc})") from None
    if pixels.ndim != 3 or pixels.shape[1:] != (48, 48) or len(labels) != len(pixels):
        raise InputError(f"{args.npz}: `pixels` must be (N, 48, 48) and `label` (N,)")
    if args.usage is not None:
        if usage is None:
            raise InputError(f"{args.npz} has no `usage` array")
        keep = usage == args.usage
        pixels, labels = pixels[keep], labels[keep]
    classifier = ExpressionClassifier(args.model)
    probs = np.concatenate(
        [classifier.classify_crops(pixels[i : i + 256]).probs for i in range(0, len(pixels), 256)]
    ) if len(pixels) else np.zeros((0, len(EXPRESSIONS)), np.float32)
    report = evaluate_probs(probs, labels.astype(np.int64))
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
        return args.func(args)
    except ClasswatchError as exc:
        print(f"classwatch: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
