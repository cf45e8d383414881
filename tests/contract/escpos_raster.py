"""Decode the GS v 0 raster images in an ESC/POS byte stream back into a Pillow image."""

from __future__ import annotations

from PIL import Image

GS_V_0 = b"\x1dv0"


def decode_raster(data: bytes) -> Image.Image:
    """Every GS v 0 block in ``data``, stacked top to bottom, as a '1' image (0 = black dot)."""
    blocks = []
    i = data.find(GS_V_0)
    while i >= 0:
        x_bytes = data[i + 4] | data[i + 5] << 8
        height = data[i + 6] | data[i + 7] << 8
        start = i + 8
        bits = data[start : start + x_bytes * height]
        # ESC/POS: 1 = print a dot; Pillow's '1' mode: 0 = black. Invert while unpacking.
        block = Image.frombytes("1", (x_bytes * 8, height), bytes(b ^ 0xFF for b in bits))
        blocks.append(block)
        i = data.find(GS_V_0, start + len(bits))
    assert blocks, "no GS v 0 raster image in the data"
    out = Image.new("1", (max(b.width for b in blocks), sum(b.height for b in blocks)), 1)
    y = 0
    for block in blocks:
        out.paste(block, (0, y))
        y += block.height
    return out
