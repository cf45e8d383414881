"""Sample C.Hasil sheets for the fake scanner: an A4 tally form with boxes and numbers written by
a (simulated) hand, drawn with Pillow.

Digits are pen strokes on a unit grid, jittered per stroke from a seeded random generator, so each
sheet looks handwritten yet is the same every run. The numbers of each sample sheet are
arithmetically consistent, like a correctly filled C.Hasil.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MM_PER_INCH = 25.4
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Each digit: strokes of (x, y) points on a 0..1 grid (y down).
_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [
        [
            (0.5, 0),
            (0.15, 0.2),
            (0.1, 0.6),
            (0.35, 1),
            (0.75, 0.9),
            (0.9, 0.4),
            (0.7, 0.05),
            (0.5, 0),
        ]
    ],
    "1": [[(0.25, 0.25), (0.55, 0), (0.55, 1)]],
    "2": [[(0.15, 0.25), (0.4, 0), (0.8, 0.1), (0.8, 0.4), (0.1, 1), (0.9, 1)]],
    "3": [[(0.15, 0.1), (0.7, 0), (0.8, 0.25), (0.4, 0.5), (0.85, 0.7), (0.7, 1), (0.1, 0.9)]],
    "4": [[(0.65, 1), (0.65, 0), (0.1, 0.7), (0.9, 0.7)]],
    "5": [[(0.85, 0), (0.2, 0), (0.15, 0.45), (0.7, 0.45), (0.85, 0.75), (0.6, 1), (0.1, 0.9)]],
    "6": [[(0.8, 0.05), (0.3, 0.2), (0.1, 0.7), (0.4, 1), (0.8, 0.8), (0.7, 0.5), (0.2, 0.6)]],
    "7": [[(0.1, 0), (0.9, 0), (0.4, 1)], [(0.3, 0.5), (0.8, 0.5)]],
    "8": [
        [
            (0.5, 0.5),
            (0.15, 0.25),
            (0.5, 0),
            (0.85, 0.25),
            (0.5, 0.5),
            (0.1, 0.75),
            (0.5, 1),
            (0.9, 0.75),
            (0.5, 0.5),
        ]
    ],
    "9": [[(0.85, 0.4), (0.5, 0.5), (0.15, 0.3), (0.45, 0), (0.85, 0.2), (0.8, 1)]],
}


@dataclass(frozen=True)
class SampleSheet:
    """The numbers on one sample C.Hasil sheet (one ballot type)."""

    title: str
    tps_code: str
    voters: dict[str, tuple[int, int]]  # row -> (L, P); J is their sum
    ballots: dict[str, int]  # SS1..SS4
    votes: list[tuple[str, int]]  # candidate/party -> votes
    invalid: int

    @property
    def valid(self) -> int:
        return sum(v for _, v in self.votes)


def _sheet(
    title: str,
    dpt: tuple[int, int],
    voted: tuple[tuple[int, int], ...],
    votes: list[tuple[str, int]],
    reserve: int,
) -> SampleSheet:
    b1, b2, b3 = voted
    b4 = (b1[0] + b2[0] + b3[0], b1[1] + b2[1] + b3[1])
    used = sum(b4)
    received = sum(dpt) + reserve
    damaged = 2
    invalid = used - sum(v for _, v in votes)
    return SampleSheet(
        title=title,
        tps_code="6474010001005",
        voters={"A": dpt, "B1": b1, "B2": b2, "B3": b3, "B4": b4},
        ballots={"SS1": received, "SS2": used, "SS3": damaged, "SS4": received - used - damaged},
        votes=votes,
        invalid=invalid,
    )


SAMPLE_SHEETS: tuple[SampleSheet, ...] = (
    _sheet(
        "MODEL C.HASIL-PPWP",
        (140, 139),
        ((101, 108), (3, 2), (1, 0)),
        [("Paslon 01", 62), ("Paslon 02", 118), ("Paslon 03", 31)],
        reserve=6,
    ),
    _sheet(
        "MODEL C.HASIL-DPD",
        (140, 139),
        ((101, 108), (2, 1), (1, 0)),
        [("Calon 1", 40), ("Calon 2", 77), ("Calon 3", 58), ("Calon 4", 22)],
        reserve=6,
    ),
)


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if _DEJAVU.exists():
        return ImageFont.truetype(str(_DEJAVU), size_px)
    return ImageFont.load_default(size=size_px)


def _write_number(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: tuple[int, int, int, int],
    rng: random.Random,
    pen_px: int,
) -> None:
    """Write ``text`` in ``box`` (pixels) as jittered pen strokes, a little off-centre."""
    x0, y0, x1, y1 = box
    height = (y1 - y0) * 0.62
    width = height * 0.62
    gap = width * 0.25
    x = x0 + (x1 - x0 - len(text) * (width + gap)) / 2 + rng.uniform(-gap, gap)
    y = y0 + (y1 - y0 - height) / 2 + rng.uniform(-height * 0.08, height * 0.08)
    slant = rng.uniform(0.05, 0.2)
    for ch in text:
        for stroke in _STROKES[ch]:
            points = [
                (
                    x + (px + slant * (1 - py)) * width + rng.uniform(-1, 1) * pen_px * 0.6,
                    y + py * height + rng.uniform(-1, 1) * pen_px * 0.6,
                )
                for px, py in stroke
            ]
            draw.line(points, fill=20, width=pen_px, joint="curve")
        x += width + gap


def render_sheet(
    sheet: SampleSheet, dpi: int, width_mm: float = 210.0, height_mm: float = 297.0, seed: int = 0
) -> Image.Image:
    """The sheet as a grey ('L') page at ``dpi`` dots per inch, ``width_mm`` x ``height_mm``."""
    px = dpi / MM_PER_INCH  # pixels per millimetre
    size = (round(width_mm * px), round(height_mm * px))
    img = Image.new("L", size, 246)  # recycled paper is never pure white
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    line = max(1, round(0.3 * px))
    pen = max(1, round(0.5 * px))
    small, big = _font(max(6, round(3.2 * px))), _font(max(8, round(5 * px)))

    def mm(x: float, y: float) -> tuple[int, int]:
        return round(x * px), round(y * px)

    draw.text(mm(15, 12), sheet.title, font=big, fill=0)
    draw.text(
        mm(15, 20), f"TPS {sheet.tps_code[10:]}  —  KODE {sheet.tps_code}", font=small, fill=0
    )
    y = 32.0
    row_h = 9.0

    def section(title: str) -> None:
        nonlocal y
        draw.text(mm(15, y), title, font=small, fill=0)
        y += 6

    def row(label: str, values: list[int], col_w: float = 28.0) -> None:
        nonlocal y
        draw.text(mm(18, y + 2.5), label, font=small, fill=0)
        for i, value in enumerate(values):
            x = 95 + i * (col_w + 3)
            box = (*mm(x, y), *mm(x + col_w, y + row_h - 1.5))
            draw.rectangle(box, outline=0, width=line)
            _write_number(draw, str(value), box, rng, pen)
        y += row_h

    section("I. DATA PEMILIH DAN PENGGUNA HAK PILIH   (L / P / JML)")
    for key, (lk, pk) in sheet.voters.items():
        row(key, [lk, pk, lk + pk])
    y += 3
    section("II. DATA PENGGUNAAN SURAT SUARA")
    for key, value in sheet.ballots.items():
        row(key, [value])
    y += 3
    section("IV. PEROLEHAN SUARA")
    for name, value in sheet.votes:
        row(name, [value])
    y += 3
    section("V. SUARA SAH DAN TIDAK SAH")
    row("Suara sah", [sheet.valid])
    row("Suara tidak sah", [sheet.invalid])
    row("Jumlah", [sheet.valid + sheet.invalid])
    draw.rectangle(
        (*mm(10, 8), *mm(width_mm - 10, min(y + 5, height_mm - 8))), outline=0, width=line
    )
    return img
