"""``classwatch eval-model``: the accuracy of an expression model on a FER2013-format .npz."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import InputError
from ..types import EXPRESSIONS
from .analyze import check_model_name


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``eval-model``."""
    p = sub.add_parser("eval-model", help="accuracy of an expression model on a FER2013-format .npz")
    p.add_argument("npz", type=Path)
    p.add_argument("--model", help="expression model name or .json/.tflite path (default: the pipeline's model)")
    p.add_argument("--usage", type=int, default=None, help="only rows with this `usage` value (1 = PublicTest)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_model)


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

    from ..classify import ExpressionClassifier
    from ..metrics import check_labels, evaluate_probs

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
    check_model_name(args.model)
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
