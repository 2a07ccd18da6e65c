"""Render assets/icons/classwatch.svg into the executable icons the spec uses on Windows and macOS.

    python packaging/make_icons.py      # writes assets/icons/classwatch.ico and classwatch.icns

Both containers hold PNG images (Windows Vista and later read PNG entries in
.ico files; macOS 10.7 and later read PNG entries in .icns files), so Qt's SVG
renderer is all it takes: no Pillow, no iconutil, and the same output on
every OS. Re-run it after changing the SVG and commit both files.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "assets" / "icons"

#: Sizes Windows picks from (taskbar, Explorer views, Alt-Tab, large icons).
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: Apple's PNG-capable type codes and their pixel sizes.
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512), ("ic10", 1024))


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico file from {size: PNG bytes}: ICONDIR, one ICONDIRENTRY per image, then the images."""
    header = struct.pack("<HHH", 0, 1, len(pngs))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(pngs)
    entries, data = b"", b""
    for size, png in sorted(pngs.items()):
        side = size if size < 256 else 0  # 0 means 256 in a one-byte field
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def icns(pngs: dict[str, bytes]) -> bytes:
    """An .icns file from {type code: PNG bytes}: 'icns' + total length, then (type, length, data) blocks."""
    blocks = b"".join(code.encode("ascii") + struct.pack(">I", 8 + len(png)) + png for code, png in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(blocks)) + blocks


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent size x size square, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage text/SVG need one
    svg = ICONS / "classwatch.svg"
    sizes = sorted({*ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    pngs = {size: render_png(svg, size) for size in sizes}
    (ICONS / "classwatch.ico").write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    (ICONS / "classwatch.icns").write_bytes(icns({code: pngs[size] for code, size in ICNS_TYPES}))
    print(f"wrote {ICONS / 'classwatch.ico'} and {ICONS / 'classwatch.icns'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
