"""Draw Backstep's home-screen icons (static/img/icon-192.png, icon-512.png) with the standard library.

The design matches static/img/icon.svg: a teal square, a light incline and a
white arrow pointing back. Run: python scripts/make_icons.py
"""

import struct
import zlib
from pathlib import Path

TEAL, LIGHT, WHITE = (15, 94, 99), (143, 211, 201), (255, 255, 255)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """Colour at (x, y) in a 64 x 64 design space."""
    # The incline: triangle (10,50) (54,22) (54,50).
    if 10 <= x <= 54 and y <= 50 and y >= 50 - (x - 10) * 28 / 44:
        return LIGHT
    # The arrow "<": two strokes from (40,18) to (32,24) to (40,30), 4 units wide.
    for (x1, y1, x2, y2) in ((40, 18, 32, 24), (32, 24, 40, 30)):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        if (x - (x1 + t * dx)) ** 2 + (y - (y1 + t * dy)) ** 2 <= 4:
            return WHITE
    return TEAL


def png(size: int) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            row += bytes(pixel((i + 0.5) * 64 / size, (j + 0.5) * 64 / size))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "static" / "img"
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote {out / f'icon-{size}.png'}")
