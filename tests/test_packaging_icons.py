"""The executable icons for Windows (.ico) and macOS (.icns) are well-formed and match packaging/make_icons.py."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_icons", ROOT / "packaging" / "make_icons.py")
make_icons = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_icons)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_ico_lists_every_size_as_a_png():
    data = (ROOT / "assets" / "icons" / "classwatch.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    sizes = []
    for i in range(count):
        w, h, _, _, planes, bits, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i : 22 + 16 * i])
        side = w or 256
        assert (w, planes, bits) == (h, 1, 32)
        assert png_size(data[offset : offset + length]) == (side, side)
        sizes.append(side)
    assert tuple(sizes) == make_icons.ICO_SIZES


def test_icns_blocks_are_pngs_of_their_type_size():
    data = (ROOT / "assets" / "icons" / "classwatch.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    found, pos = [], 8
    while pos < len(data):
        code, length = data[pos : pos + 4].decode("ascii"), struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found.append((code, png_size(data[pos + 8 : pos + length])[0]))
        pos += length
    assert tuple(found) == make_icons.ICNS_TYPES


def test_containers_round_trip():
    fake = {16: b"\x89PNG\r\n\x1a\n" + b"a" * 5, 256: b"\x89PNG\r\n\x1a\n" + b"b" * 9}
    data = make_icons.ico(fake)
    assert data[6] == 16 and data[22] == 0  # 256 is written as 0
    _, _, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", data[22:38])
    assert data[offset : offset + length] == fake[256]
    blob = make_icons.icns({"ic08": fake[256]})
    assert blob[8:12] == b"ic08" and blob[16:] == fake[256]
