"""Sample C.Hasil sheets for the fake scanner: an A4 tally form whose boxes are filled in by a
(simulated) hand, drawn with Pillow.

Digits are pen strokes on a unit grid, jittered and rounded per stroke from a seeded random
generator, so each page looks handwritten yet is the same every run for the same seed. The numbers
of each sheet are those of a correctly filled C.Hasil for the demo TPS profile
(kiosk/demo/sample_profile.toml): every blocking check and every warning passes.

Box names follow the kiosk's checks: ``A.L`` .. ``D.J`` (voters), ``SS1`` .. ``SS4`` (ballots),
``V.<i>`` or ``P.<i>`` / ``P.<i>.<j>`` (votes), ``S`` valid, ``T`` invalid, ``U`` total.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from drivers.scanner.form_layout import Rect, printed_form

MM_PER_INCH = 25.4
TPS_CODE = "6474010001005"
RESERVE_PERCENT = 2.0  # extra ballots per DPT voter, as in Pemilu 2024
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Each digit: strokes of (x, y) points on a 0..1 grid (y down), as a hand would draw them.
_STROKES: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {
    "0": (((0.55, 0), (0.2, 0.15), (0.1, 0.6), (0.35, 1), (0.75, 0.9), (0.9, 0.4), (0.6, 0)),),
    "1": (((0.25, 0.25), (0.55, 0), (0.55, 1)),),
    "2": (((0.15, 0.25), (0.4, 0), (0.8, 0.1), (0.8, 0.4), (0.1, 1), (0.9, 1)),),
    "3": (((0.15, 0.1), (0.7, 0), (0.8, 0.25), (0.4, 0.5), (0.85, 0.7), (0.7, 1), (0.1, 0.9)),),
    "4": (((0.65, 1), (0.65, 0), (0.1, 0.7), (0.9, 0.7)),),
    "5": (((0.85, 0), (0.2, 0), (0.15, 0.45), (0.7, 0.45), (0.85, 0.75), (0.6, 1), (0.1, 0.9)),),
    "6": (((0.8, 0.05), (0.3, 0.2), (0.1, 0.7), (0.4, 1), (0.8, 0.8), (0.7, 0.5), (0.2, 0.6)),),
    "7": (((0.1, 0), (0.9, 0), (0.4, 1)), ((0.3, 0.5), (0.8, 0.5))),
    "8": (
        (
            (0.5, 0.5),
            (0.15, 0.25),
            (0.5, 0),
            (0.85, 0.25),
            (0.5, 0.5),
            (0.1, 0.75),
            (0.5, 1),
            (0.9, 0.75),
            (0.5, 0.5),
        ),
    ),
    "9": (((0.85, 0.4), (0.5, 0.5), (0.15, 0.3), (0.45, 0), (0.85, 0.2), (0.8, 1)),),
    "X": (((0.05, 0.05), (0.95, 0.95)), ((0.95, 0.05), (0.05, 0.95))),  # an unused cell
}

Point = tuple[float, float]


@dataclass(frozen=True)
class SampleSheet:
    """The numbers on one sample C.Hasil sheet (one ballot type)."""

    ballot: str  # "PPWP", "DPR", "DPD"
    election: str  # printed under the title
    voters: dict[str, tuple[int, int]]  # A, B1..B4, D -> (L, P); J is their sum
    ballots: dict[str, int]  # SS1..SS4
    votes: tuple[tuple[str, str, int], ...]  # (box, printed label, votes), in form order
    invalid: int
    parties: tuple[int, ...] = ()  # party ballots: candidate count of each party
    tps_code: str = TPS_CODE

    @property
    def title(self) -> str:
        return f"MODEL C.HASIL-{self.ballot}"

    @property
    def valid(self) -> int:
        return sum(v for _, _, v in self.votes)

    def boxes(self) -> dict[str, int]:
        """Every box of the sheet by the kiosk's box name, as written on the page."""
        out = {f"{row}.{c}": n for row, (lk, pk) in self.voters.items() for c, n in _lpj(lk, pk)}
        out.update(self.ballots)
        out.update({box: n for box, _, n in self.votes})
        out.update(S=self.valid, T=self.invalid, U=self.valid + self.invalid)
        return out


def _lpj(lk: int, pk: int) -> tuple[tuple[str, int], ...]:
    return (("L", lk), ("P", pk), ("J", lk + pk))


def _sheet(
    ballot: str,
    election: str,
    voted: tuple[tuple[int, int], tuple[int, int], tuple[int, int]],
    damaged: int,
    votes: tuple[tuple[str, str, int], ...],
    parties: tuple[int, ...] = (),
) -> SampleSheet:
    """A consistent sheet: B4, SS1, SS2, SS4 and the invalid votes follow from the rest."""
    dpt = (140, 139)  # the demo profile's DPT (L, P)
    b1, b2, b3 = voted
    b4 = (b1[0] + b2[0] + b3[0], b1[1] + b2[1] + b3[1])
    used = sum(b4)
    received = sum(dpt) + math.ceil(sum(dpt) * RESERVE_PERCENT / 100)
    invalid = used - sum(v for _, _, v in votes)
    assert invalid >= 0 and received - used - damaged >= 0, f"sample {ballot} does not add up"
    return SampleSheet(
        ballot=ballot,
        election=election,
        voters={"A": dpt, "B1": b1, "B2": b2, "B3": b3, "B4": b4, "D": (2, 1)},
        ballots={"SS1": received, "SS2": used, "SS3": damaged, "SS4": received - used - damaged},
        votes=votes,
        invalid=invalid,
        parties=parties,
    )


# In the profile's order, widest first: A, B1 and B3 agree across sheets; B2 and the total never
# grow on a narrower ballot (a DPTb voter may get fewer ballot types, never more).
SAMPLE_SHEETS: tuple[SampleSheet, ...] = (
    _sheet(
        "PPWP",
        "PEMILIHAN UMUM PRESIDEN DAN WAKIL PRESIDEN TAHUN 2024",
        ((101, 108), (3, 2), (1, 0)),
        2,
        (("V.0", "Paslon 01", 62), ("V.1", "Paslon 02", 118), ("V.2", "Paslon 03", 31)),
    ),
    _sheet(
        "DPR",
        "PEMILIHAN UMUM ANGGOTA DPR TAHUN 2024",
        ((101, 108), (2, 2), (1, 0)),
        1,
        (
            ("P.0", "Partai Contoh A", 12),
            ("P.0.0", "   1. Calon A1", 40),
            ("P.0.1", "   2. Calon A2", 33),
            ("P.1", "Partai Contoh B", 9),
            ("P.1.0", "   1. Calon B1", 51),
            ("P.1.1", "   2. Calon B2", 27),
            ("P.1.2", "   3. Calon B3", 30),
        ),
        parties=(2, 3),
    ),
    _sheet(
        "DPD",
        "PEMILIHAN UMUM ANGGOTA DPD TAHUN 2024",
        ((101, 108), (2, 1), (1, 0)),
        2,
        (
            ("V.0", "Calon 1", 40),
            ("V.1", "Calon 2", 77),
            ("V.2", "Calon 3", 58),
            ("V.3", "Calon 4", 22),
        ),
    ),
)


# Layout (millimetres) -----------------------------------------------------------------------
# Where each box is and how many digit cells it has come from the form definitions
# (form_layout.py, forms/*.toml); the labels and section titles are placed beside them here.
_LEFT = 20.0
SIGNATURE_X_MM = (30.0, 130.0)  # left edges of the Ketua's and the witness's signatures
SIGNATURE_GAP_MM = 12.0  # from the bottom of the last box to the top of the signatures
_SECTION_ABOVE_MM = 6.5  # a section's title sits this far above its first row of boxes

_VOTER_LABELS = {
    "A": "A. Pemilih dalam DPT",
    "B1": "B1. Pengguna hak pilih DPT",
    "B2": "B2. Pengguna hak pilih DPTb",
    "B3": "B3. Pengguna hak pilih DPK",
    "B4": "B4. Jumlah (B1 + B2 + B3)",
}
_BALLOT_LABELS = {
    "SS1": "1. Diterima, termasuk cadangan 2%",
    "SS2": "2. Digunakan",
    "SS3": "3. Dikembalikan: rusak/keliru coblos",
    "SS4": "4. Tidak digunakan/sisa",
}


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    text: str
    big: bool = False


@dataclass(frozen=True)
class _Box:
    name: str
    rect: Rect
    cells: int
    value: int


def _layout(
    sheet: SampleSheet, written: Mapping[str, int] | None = None
) -> tuple[list[_Text], list[_Box]]:
    form = printed_form(sheet.ballot)
    texts = [
        _Text(_LEFT, 14, form.title, big=True),
        _Text(_LEFT, 22, "SERTIFIKAT HASIL PENGHITUNGAN PEROLEHAN SUARA DI TPS"),
        _Text(_LEFT, 27, sheet.election),
        _Text(_LEFT, 32, f"TPS {sheet.tps_code[10:]}   KODE TPS {sheet.tps_code}"),
    ]
    numbers = {**sheet.boxes(), **(written or {})}
    boxes: list[_Box] = []

    def rows(title: str, labelled: list[tuple[str, list[str]]], lpj: bool = False) -> None:
        first = form.box(labelled[0][1][0])
        top = first.rect[1] - _SECTION_ABOVE_MM
        texts.append(_Text(_LEFT, top, title))
        if lpj:
            for name, head in zip(labelled[0][1], "LPJ", strict=True):
                x0, _, x1, _ = form.box(name).rect
                texts.append(_Text((x0 + x1) / 2 - 1.5, top, head))
        for label, names in labelled:
            printed = [form.box(n) for n in names]
            texts.append(_Text(_LEFT + 3, printed[0].rect[1] + 1.5, label))
            boxes.extend(_Box(b.name, b.rect, b.cells, numbers[b.name]) for b in printed)

    rows(
        "I. DATA PEMILIH DAN PENGGUNA HAK PILIH",
        [(label, [f"{key}.{c}" for c in "LPJ"]) for key, label in _VOTER_LABELS.items()],
        lpj=True,
    )
    rows("II. DATA PENGGUNAAN SURAT SUARA", [(lb, [k]) for k, lb in _BALLOT_LABELS.items()])
    rows(
        "III. PENGGUNA HAK PILIH DISABILITAS",
        [("D. Jumlah pemilih disabilitas", [f"D.{c}" for c in "LPJ"])],
        lpj=True,
    )
    rows("IV. PEROLEHAN SUARA", [(label, [box]) for box, label, _ in sheet.votes])
    rows(
        "V. JUMLAH SUARA SAH DAN TIDAK SAH",
        [
            ("A. Suara sah", ["S"]),
            ("B. Suara tidak sah", ["T"]),
            ("C. Jumlah suara sah dan tidak sah", ["U"]),
        ],
    )
    missing = {b.name for b in form.boxes} ^ set(numbers)
    assert not missing, f"form {form.model} and sample sheet differ in boxes {sorted(missing)}"
    bottom = max(b.rect[3] for b in boxes)
    texts += [
        _Text(x, bottom + 5.5, h)
        for x, h in zip(SIGNATURE_X_MM, ("KETUA KPPS", "SAKSI"), strict=True)
    ]
    return texts, boxes


def number_boxes(sheet: SampleSheet) -> dict[str, Rect]:
    """Where each number is written: box name -> rectangle in millimetres from the top left."""
    return {b.name: b.rect for b in _layout(sheet)[1]}


def cell_digits(value: int, cells: int) -> str:
    """What a KPPS writes in a box of ``cells`` digit cells: one digit per cell, right-aligned,
    an "X" in each unused leading cell (62 in 3 cells: "X62"); a one-cell box holds the whole
    number. ValueError when the number has more digits than the box has cells."""
    text = str(value)
    if cells == 1:
        return text
    if len(text) > cells:
        raise ValueError(f"{value} does not fit in {cells} digit cells")
    return "X" * (cells - len(text)) + text


def cell_rects(rect: Rect, cells: int) -> list[Rect]:
    """The box ``rect`` split into ``cells`` equal widths, left to right."""
    x0, y0, x1, y1 = rect
    w = (x1 - x0) / cells
    return [(x0 + i * w, y0, x0 + (i + 1) * w, y1) for i in range(cells)]


# Drawing ------------------------------------------------------------------------------------
def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if _DEJAVU.exists():
        return ImageFont.truetype(str(_DEJAVU), size_px)
    return ImageFont.load_default(size=size_px)


def _rounded(points: list[Point]) -> list[Point]:
    """Cut each corner once (Chaikin), so a stroke bends like a pen line, not a ruler line."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        out += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1)]
        out += [(0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
    return [*out, points[-1]]


def _write_number(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: tuple[int, int, int, int],
    rng: random.Random,
    pen_px: int,
    ink: int | tuple[int, int, int],
) -> None:
    """Write ``text`` in ``box`` (pixels) as jittered pen strokes, a little off-centre; an "X"
    (a crossed-out cell) is drawn wider than a digit, as people cross a cell out."""
    x0, y0, x1, y1 = box
    height = (y1 - y0) * rng.uniform(0.66, 0.76)
    width = height * 0.55
    gap = width * 0.3
    widths = [width * (1.5 if ch == "X" else 1.0) for ch in text]
    x = x0 + (x1 - x0 - sum(widths) - gap * (len(text) - 1)) / 2 + rng.uniform(-gap, gap) / 2
    y = y0 + (y1 - y0 - height) / 2 + rng.uniform(-height * 0.08, height * 0.08)
    slant = rng.uniform(0.05, 0.2)
    wobble = pen_px * 0.8
    for ch, w in zip(text, widths, strict=True):
        size = rng.uniform(0.92, 1.06)
        for stroke in _STROKES[ch]:
            points = [
                (
                    x + (px + slant * (1 - py)) * w * size + rng.uniform(-wobble, wobble),
                    y + py * height * size + rng.uniform(-wobble, wobble),
                )
                for px, py in stroke
            ]
            draw.line(_rounded(points), fill=ink, width=pen_px, joint="curve")
        x += w + gap + rng.uniform(-gap, gap) * 0.3


def _signature(
    draw: ImageDraw.ImageDraw,
    x: float,
    y: float,
    px: float,
    rng: random.Random,
    pen_px: int,
    ink: int | tuple[int, int, int],
) -> None:
    """A scribbled signature about 40 x 10 mm with its top left at (x, y) mm."""
    points = [((x + i * 2.5) * px, (y + 5 + rng.uniform(-5, 5)) * px) for i in range(16)]
    draw.line(_rounded(_rounded(points)), fill=ink, width=pen_px, joint="curve")


def _pixels(rect: Rect, px: float) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (round(v * px) for v in rect)
    return (x0, y0, x1, y1)


def render_sheet(
    sheet: SampleSheet,
    dpi: int,
    width_mm: float = 210.0,
    height_mm: float = 297.0,
    seed: int = 0,
    color: bool = False,
    handwriting: bool = True,
    numbers: Mapping[str, int] | None = None,
) -> Image.Image:
    """The sheet as a scanner would return it: ``width_mm`` x ``height_mm`` at ``dpi`` dots per
    inch, grey ('L') or colour ('RGB', the numbers in blue ballpoint). Without ``handwriting``
    it is the printed form alone (realistic.py writes its own numbers on it); ``numbers`` are
    written instead of the sample's in those boxes.

    The pixel size is cut down to whole pixels, as SANE backends do (A4 at 300 dpi: 2480 x 3507).
    """
    px = dpi / MM_PER_INCH  # pixels per millimetre
    size = (max(1, math.floor(width_mm * px)), max(1, math.floor(height_mm * px)))
    paper: int | tuple[int, int, int] = (247, 246, 240) if color else 246  # never pure white
    black: int | tuple[int, int, int] = (10, 10, 10) if color else 10
    pen_ink: int | tuple[int, int, int] = (25, 40, 125) if color else 35
    img = Image.new("RGB" if color else "L", size, paper)
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    line = max(1, round(0.3 * px))
    pen = max(1, round(0.45 * px))
    small, big = _font(max(6, round(2.8 * px))), _font(max(8, round(5 * px)))

    texts, boxes = _layout(sheet, numbers)
    for t in texts:
        draw.text((t.x * px, t.y * px), t.text, font=big if t.big else small, fill=black)
    right = max(b.rect[2] for b in boxes)
    draw.line([(_LEFT * px, 37 * px), (right * px, 37 * px)], fill=black, width=line)
    for _, (ax0, ay0, ax1, ay1) in printed_form(sheet.ballot).anchors:
        draw.rectangle(
            (round(ax0 * px), round(ay0 * px), round(ax1 * px) - 1, round(ay1 * px) - 1),
            fill=black,
        )
    for b in boxes:
        draw.rectangle(_pixels(b.rect, px), outline=black, width=line)
        cells = cell_rects(b.rect, b.cells)
        for cell in cells[1:]:
            cx = round(cell[0] * px)
            draw.line(
                [(cx, round(cell[1] * px)), (cx, round(cell[3] * px))], fill=black, width=line
            )
        if not handwriting:
            continue
        written = cell_digits(b.value, b.cells)
        if b.cells == 1:
            _write_number(draw, written, _pixels(b.rect, px), rng, pen, pen_ink)
            continue
        for ch, cell in zip(written, cells, strict=True):
            _write_number(draw, ch, _pixels(cell, px), rng, pen, pen_ink)
    bottom = max(b.rect[3] for b in boxes)
    for x in SIGNATURE_X_MM if handwriting else ():
        _signature(draw, x, bottom + SIGNATURE_GAP_MM, px, rng, pen, pen_ink)
    img.info["dpi"] = (dpi, dpi)
    return img
