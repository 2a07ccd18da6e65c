"""Loading ``.tflite`` models with LiteRT (formerly TensorFlow Lite).

``ai-edge-litert`` is the supported runtime; the old ``tflite-runtime``
wheel is accepted as a fallback import only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ModelError

try:  # pragma: no cover - depends on what is installed
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover
    from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef]


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence the runtime's C++ log lines ("INFO: Created TensorFlow Lite XNNPACK
    delegate", flatbuffer parse errors) that bypass Python and would break the
    CLI's one-line error contract. Our own ModelError says what went wrong."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (frozen GUI build, pytest capture)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def load_interpreter(path: Path, num_threads: int = 1) -> Interpreter:
    """Open a ``.tflite`` file, raising ModelError with one readable line if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        with _native_stderr_silenced():
            interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load model {path}: {reason}") from None
    return interpreter
