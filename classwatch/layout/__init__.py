"""Where the participant tiles of a call are: ``find_layout(image, faces) -> TileLayout``, and
``layout_of(image, detector)``, which also finds a call shown small inside a larger capture."""

from .finder import find_layout
from .region import layout_of

__all__ = ["find_layout", "layout_of"]
