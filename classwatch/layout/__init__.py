"""Where the participant tiles of a call are: ``find_layout(image, faces) -> TileLayout``."""

from .finder import find_layout

__all__ = ["find_layout"]
