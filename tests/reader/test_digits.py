"""The committed digit model reads held-out glyphs as a scan shows them, tells "X" and blank
cells from digits, keeps its top readings ranked, and refuses a bad model file clearly.

The cells are drawn by bench/digits_bench.py (the realistic corpus's paper, pens and sensor
noise) from the committed held-out glyphs, never seen in training. Floors sit well below the
measured figures (bench: about 98 %): they check that the model is the trained one, not its
last percent.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.digits_bench import heldout_glyphs, scanned_box, scanned_cells
from drivers.scanner import handwriting
from kiosk.reader import digits
from kiosk.reader.digits import LABELS, MODEL_PATH, ModelError, classify


@pytest.fixture(scope="module")
def glyphs() -> list[tuple[str, Image.Image]]:
    every = heldout_glyphs()
    assert len(every) == 1000 and sorted({d for d, _ in every}) == list("0123456789")
    return every[::5]  # 20 of each digit


def test_the_model_reads_held_out_glyphs_in_scanned_cells(
    glyphs: list[tuple[str, Image.Image]], record_property: pytest.RecordProperty
) -> None:
    for dpi, pen in ((300, "ballpoint"), (200, "pencil")):
        cells, truth = scanned_cells(glyphs, dpi, pen, seed=7)
        readings = classify(cells)
        pairs = [(r.label, t) for r, t in zip(readings, truth, strict=True) if t.isdigit()]
        accuracy = sum(a == t for a, t in pairs) / len(pairs)
        record_property(f"digit_cells_{dpi}_{pen}", round(accuracy, 4))
        assert len(pairs) == 200
        assert accuracy >= 0.9, (dpi, pen, accuracy)


def _stroke_cell(digit: str, shape: int, dpi: int, pen: str, rng: random.Random) -> Image.Image:
    """One cell of a 3-cell box ("X", "X", ``digit``) whose digit is drawn by the realistic
    corpus's hand (drivers.scanner.handwriting: pen strokes, shape ``shape`` of the digit)."""
    px_mm = dpi / 25.4
    writer = handwriting.Writer.random(rng)
    writer = dataclasses.replace(writer, shapes={**writer.shapes, digit: shape})
    size = (round(8.3 * px_mm), round(6.5 * px_mm))
    ink = Image.new("L", size, 0)
    strokes = handwriting.layout_number(digit, (0, 0, *size), writer, rng)
    handwriting.draw_number(
        ink, strokes, digit, handwriting.PENS["ballpoint"], px_mm, writer.pressure, rng
    )
    return scanned_box([("X", None), ("X", None), (digit, ink)], dpi, pen, rng)[2]


@pytest.mark.parametrize(
    ("digit", "shape", "floor"),
    [("1", 0, 0.9), ("1", 2, 0.9), ("1", 1, 0.95), ("7", 0, 0.95), ("7", 1, 0.95)],
)
def test_a_flagged_one_is_read_as_one_and_a_seven_still_as_seven(
    digit: str, shape: int, floor: float, record_property: pytest.RecordProperty
) -> None:
    """The Indonesian 1 has a flag (handwriting's shape 0; shape 2 adds a foot), which MNIST's
    writers seldom make: the model trained on MNIST alone read 55 % of these as "7" and some
    with a foot as "2". scripts/train-digits now adds flags to MNIST 1s and draws 1s and 7s
    with its own pen; these come from another generator (the corpus's pen model, never used
    in training), and the 7s (with and without the bar) check the fix did not make every 7
    a 1."""
    rng = random.Random(f"flagged-one/{digit}/{shape}")
    cells = [
        _stroke_cell(digit, shape, (200, 300)[i % 2], ("ballpoint", "pencil")[i // 2 % 2], rng)
        for i in range(100)
    ]
    labels = [r.label for r in classify(cells)]
    right = labels.count(digit) / len(labels)
    record_property(f"stroke_{digit}_shape{shape}", right)
    assert right >= floor, collections.Counter(labels).most_common(4)


def test_x_and_blank_cells_are_told_apart_from_digits(
    glyphs: list[tuple[str, Image.Image]],
) -> None:
    rng = random.Random(18)
    cells: list[Image.Image] = []
    truth: list[str] = []
    for i, (digit, glyph) in enumerate(glyphs[:120]):
        filler = "X" if i % 2 else "blank"
        pen = "pencil" if i % 3 == 0 else "ballpoint"
        row: list[tuple[str, Image.Image | None]] = [(filler, None), (filler, None), (digit, glyph)]
        cells += scanned_box(row, 200 + 100 * (i % 2), pen, rng)
        truth += [filler, filler, digit]
    labels = [r.label for r in classify(cells)]
    for kind in ("X", "blank"):
        read = [a for a, t in zip(labels, truth, strict=True) if t == kind]
        assert sum(a == kind for a in read) >= 0.9 * len(read), (kind, read)
    as_filler = [
        a for a, t in zip(labels, truth, strict=True) if t.isdigit() and a in ("X", "blank")
    ]
    assert len(as_filler) <= 3, as_filler


def test_a_cell_with_only_the_printed_border_and_paper_is_blank() -> None:
    cell = Image.new("L", (70, 56), 238)
    draw = ImageDraw.Draw(cell)
    draw.rectangle((0, 0, 69, 55), outline=25, width=3)  # the box's lines, cut in the crop
    draw.line(((66, 0), (66, 55)), fill=25, width=3)  # a divider a little inside
    noisy = np.clip(
        np.asarray(cell, np.float32) + np.random.default_rng(1).normal(0, 6, (56, 70)), 0, 255
    )
    (reading,) = classify([noisy.astype(np.uint8)])
    assert reading.label == "blank", reading


def _cell_with(stroke_x: int | None, divider_x: int) -> np.ndarray:
    """A 70 x 56 px crop: the box's lines across its top and bottom, a divider at
    ``divider_x`` running the crop's height, and a straight stroke at ``stroke_x`` from row 9
    to row 46 (a narrow "1"), on noisy paper."""
    cell = Image.new("L", (70, 56), 236)
    draw = ImageDraw.Draw(cell)
    draw.line(((0, 0), (69, 0)), fill=30, width=2)
    draw.line(((0, 55), (69, 55)), fill=30, width=2)
    draw.line(((divider_x, 0), (divider_x, 55)), fill=30, width=2)
    if stroke_x is not None:
        draw.line(((stroke_x + 1, 9), (stroke_x, 46)), fill=45, width=3)
    noisy = np.asarray(cell, np.float32) + np.random.default_rng(divider_x).normal(0, 5, (56, 70))
    return np.clip(noisy, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("stroke_x", "divider_x"), [(5, 0), (8, 0), (62, 69), (58, 69)])
def test_a_narrow_one_against_the_cells_divider_is_kept_and_the_divider_stripped(
    stroke_x: int, divider_x: int
) -> None:
    """A "1" written close to the cell's divider is as dark along its column as the printed
    line, but leaves paper above and below it: the print is stripped, the stroke is kept
    (the old strip took it for print and the cell read as blank: 16 of the reader bench's
    10,680 cells). The divider alone still leaves nothing."""
    from kiosk.reader.cell_image import normalise

    _, figures = normalise(_cell_with(stroke_x, divider_x))
    _, ink_height, ink_width, contrast = figures
    assert 0.6 <= ink_height <= 0.75 and ink_width <= 0.12, figures
    assert contrast > 0.6, figures  # the stroke's own contrast, not the paper's in the middle
    _, nothing = normalise(_cell_with(None, divider_x))
    assert not nothing.any(), nothing


def test_readings_are_the_top_three_ranked_and_arrays_read_as_images(
    glyphs: list[tuple[str, Image.Image]],
) -> None:
    cells, _ = scanned_cells(glyphs[:30], 300, "ballpoint", seed=3)
    readings = classify(cells)
    assert classify([np.asarray(c) for c in cells]) == readings
    assert classify([c.convert("RGB") for c in cells]) == readings
    for reading in readings:
        labels = [label for label, _ in reading.top]
        probs = [p for _, p in reading.top]
        assert len(set(labels)) == 3 and set(labels) <= set(LABELS)
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert classify([]) == []


def _write_npz(path: Path, **changes: object) -> Path:
    with np.load(MODEL_PATH, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays.update(changes)  # type: ignore[arg-type]
    for name, value in list(arrays.items()):
        if value is None:
            del arrays[name]
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "is missing: run scripts/train-digits"),
        (lambda p: (p.write_bytes(b"not a model"), p)[1], "is not a readable .npz file"),
        (
            lambda p: (zipfile.ZipFile(p, "w").close(), p)[1],
            "lacks w1, b1, w2, b2, mean, std, temperature, labels, feature_version",
        ),
        (lambda p: _write_npz(p, w2=np.zeros((3, 3, 3), np.float32)), "inconsistent array shapes"),
        (
            lambda p: _write_npz(p, feature_version=np.array("cell-v0")),
            "trained on features cell-v0",
        ),
        (lambda p: _write_npz(p, labels=np.array(list("0123456789"))), "has labels"),
        (lambda p: _write_npz(p, temperature=np.float32(0)), "temperature 0.0"),
    ],
)
def test_a_missing_or_malformed_model_is_refused_with_a_clear_error(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path / "model.npz")  # type: ignore[operator]
    cell = Image.new("L", (60, 50), 240)
    with pytest.raises(ModelError) as caught:
        classify([cell], model_path=path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert digits.load_model(MODEL_PATH).temperature > 0


def test_the_model_file_is_small_and_the_held_out_data_too() -> None:
    assert MODEL_PATH.stat().st_size <= 2 * 1024 * 1024
    data = Path(digits.__file__).parents[2] / "drivers/scanner/data"
    assert sum(f.stat().st_size for f in data.iterdir()) <= 400 * 1024
    with Image.open(data / "heldout_digits.png") as grid:
        assert grid.size == (1000, 400)
    assert io.BytesIO  # keep the import list honest for readers of the grid format
