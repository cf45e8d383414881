"""The fake scanner's default hand: held-out MNIST glyphs pasted into the digit cells, with
exact ground truth, glyphs only from the held-out file; and a paper that differs in one box."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import random
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from drivers.scanner import ColorMode, ScanRequest, Source, glyphs
from drivers.scanner.corpus import corpus_page
from drivers.scanner.fake import FakeScanner, paper_slip
from drivers.scanner.handwriting import PENS
from drivers.scanner.realistic import render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS, cell_digits, cell_rects, render_sheet
from drivers.scanner.writing import handwrite, px

ROOT = Path(__file__).resolve().parents[2]
OPENCV_DIGITS = Path("/usr/share/doc/opencv-doc/examples/data/digits.png")
PPWP, DPR, DPD = SAMPLE_SHEETS


@pytest.mark.parametrize(("dpi", "pen"), [(300, "ballpoint"), (200, "pencil")])
def test_each_digit_box_is_exactly_the_ink_in_its_cell(dpi, pen):
    """Read the coverage layer itself: in every cell of every box, the ink there is the
    digit's box the truth gives (to the pixel), or the "X" crossed out, or nothing."""
    px_mm = dpi / 25.4
    size = (round(210 * px_mm), round(297 * px_mm))
    for sheet in SAMPLE_SHEETS:
        coverage, inks = handwrite(sheet, size, px_mm, PENS[pen], random.Random(dpi), "glyphs")
        values = sheet.boxes()
        assert {i.box: i.value for i in inks} == values
        for ink in inks:
            written = cell_digits(ink.value, 3)
            assert "".join(ch for ch, _ in ink.digits) == str(ink.value)
            assert len(ink.crossed) == written.count("X") and len(ink.glyphs) == len(ink.digits)
            rects = cell_rects(next(b.rect for b in _form_boxes(sheet) if b.name == ink.box), 3)
            digits = iter(ink.digits)
            crosses = iter(ink.crossed)
            for ch, rect in zip(written, rects, strict=True):
                cell = px(rect, px_mm)
                found = coverage.crop(cell).getbbox()
                assert found is not None, (sheet.ballot, ink.box, ch)
                on_page = (cell[0] + found[0], cell[1] + found[1])
                on_page += (cell[0] + found[2], cell[1] + found[3])
                expected = next(crosses) if ch == "X" else next(digits)[1]
                assert on_page == expected, (sheet.ballot, ink.box, ch)


def _form_boxes(sheet):
    from drivers.scanner.form_layout import printed_form

    return printed_form(sheet.ballot).boxes


def test_every_pasted_glyph_is_a_held_out_glyph_of_its_digit():
    """The truth names the glyph of each digit: one of the held-out file's, of that digit; and
    the ink in the cell is that glyph: brought to the same size, it is the nearest of the 100
    glyphs of its digit for most digits (turned and thinned, a plain 1 looks like many 1s)."""
    page = render_realistic(DPD, 300, seed=4, noise_sigma=2.0, hand="glyphs")
    held = glyphs.heldout()
    assert len(held.images) == 1000 and all(len(held.of(d)) == 100 for d in "0123456789")
    used = [(ch, g) for n in page.numbers for (ch, _), g in zip(n.digits, n.glyphs, strict=True)]
    assert len(used) == sum(len(str(v)) for v in DPD.boxes().values())
    assert all(held.labels[g] == ch for ch, g in used)
    assert len({g for _, g in used}) > len(used) // 2, "the same few glyphs over and over"

    px_mm = 300 / 25.4
    size = (round(210 * px_mm), round(297 * px_mm))
    coverage, inks = handwrite(DPD, size, px_mm, PENS["ballpoint"], random.Random(1), "glyphs")
    ranks = []
    for ink in inks:
        for (ch, box), index in zip(ink.digits, ink.glyphs, strict=True):
            if ch == "1":
                continue
            written = coverage.crop(box).point(lambda v: 255 * (v > 60))

            def distance(i: int, written: Image.Image = written) -> int:
                g = held.images[i]
                g = g.crop(g.getbbox()).resize(written.size, Image.Resampling.BILINEAR)
                return ImageChops.difference(
                    written, g.point(lambda v: 255 * (v > 100))
                ).histogram()[255]

            ranks.append(sorted(held.of(ch), key=distance).index(index))
    assert len(ranks) >= 30
    assert sum(r == 0 for r in ranks) >= 0.7 * len(ranks), ranks
    assert sum(r <= 3 for r in ranks) >= 0.9 * len(ranks), ranks


def _train_digits_split():
    loader = importlib.machinery.SourceFileLoader(
        "train_digits", str(ROOT / "scripts/train-digits")
    )
    spec = importlib.util.spec_from_loader("train_digits", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.skipif(not OPENCV_DIGITS.exists(), reason="needs Debian's opencv-doc (training only)")
def test_the_held_out_glyphs_are_none_of_the_training_glyphs():
    """Each held-out glyph is, pixel for pixel, a glyph of OpenCV's digits.png that
    scripts/train-digits' split keeps out of training."""
    import numpy as np

    train = _train_digits_split()
    all_glyphs, labels = train.load_glyphs(OPENCV_DIGITS)
    training, held_out = train.split(labels)
    index = {g.tobytes(): i for i, g in enumerate(all_glyphs)}
    held = glyphs.heldout()
    found = [index.get(np.asarray(img).tobytes()) for img in held.images]
    assert None not in found
    assert set(found) == set(held_out.tolist())
    assert not set(found) & set(training.tolist())
    assert [str(labels[i]) for i in found] == list(held.labels)


def test_the_glyph_hand_is_the_fake_scanners_and_the_corpus_keeps_the_strokes():
    scanner = FakeScanner(pages="realistic")
    page = next(iter(scanner.scan(ScanRequest(dpi=200, sheet="DPR"))))
    assert page.tobytes() == render_realistic(DPR, 200, seed=0, hand="glyphs").image.tobytes()
    strokes = FakeScanner(pages="realistic", hand="strokes")
    other = next(iter(strokes.scan(ScanRequest(dpi=200, sheet="DPR"))))
    assert other.tobytes() == render_realistic(DPR, 200, seed=0, hand="strokes").image.tobytes()
    assert all(n.glyphs == () for n in corpus_page(1).numbers)
    assert all(n.glyphs for n in render_realistic(PPWP, 200, seed=1, hand="glyphs").numbers)
    assert all(n.glyphs == () for n in render_realistic(PPWP, 200, seed=1).numbers)
    with pytest.raises(ValueError):
        FakeScanner(pages="realistic", hand="font")
    with pytest.raises(ValueError):
        render_realistic(PPWP, 200, hand="font")


def test_same_seed_same_glyph_page():
    a = render_realistic(PPWP, 200, pen="pencil", colour=True, seed=5, hand="glyphs")
    b = render_realistic(PPWP, 200, pen="pencil", colour=True, seed=5, hand="glyphs")
    assert a.image.tobytes() == b.image.tobytes() and a.numbers == b.numbers


@pytest.mark.parametrize(
    ("sheet", "box", "written", "sample"),
    [(PPWP, "V.0", 63, 62), (DPR, "P.0", 13, 12), (DPD, "V.0", 41, 40)],
)
def test_the_paper_slip_is_one_digit_of_the_first_vote_box(sheet, box, written, sample):
    slip = paper_slip(sheet)
    assert (slip.ballot, slip.box, slip.written, slip.sample) == (
        sheet.ballot,
        box,
        written,
        sample,
    )
    assert sheet.boxes()[box] == sample


@pytest.mark.parametrize("pages", ["realistic", "clean"])
def test_paper_differs_once_in_exactly_one_box_then_back_to_the_sample(pages):
    scanner = FakeScanner(pages=pages)
    assert not scanner.paper_differs_next
    scanner.feed_paper_differs()
    assert scanner.paper_differs_next
    request = ScanRequest(dpi=200, sheet="PPWP", mode=ColorMode.GRAY, source=Source.FLATBED)
    slipped = next(iter(scanner.scan(request)))
    assert not scanner.paper_differs_next
    normal = next(iter(scanner.scan(request)))
    assert scanner.last_paper_slip == paper_slip(PPWP)
    if pages == "realistic":
        changed = render_realistic(PPWP, 200, seed=0, numbers={"V.0": 63}, hand="glyphs")
        assert slipped.tobytes() == changed.image.tobytes()
        truth = {n.box: n.value for n in changed.numbers}
        assert {b for b in truth if truth[b] != PPWP.boxes()[b]} == {"V.0"}
        assert truth["V.0"] == 63
        assert (
            normal.tobytes() == render_realistic(PPWP, 200, seed=1, hand="glyphs").image.tobytes()
        )
    else:
        assert slipped.tobytes() == render_sheet(PPWP, 200, seed=0, numbers={"V.0": 63}).tobytes()
        assert slipped.tobytes() != render_sheet(PPWP, 200, seed=0).tobytes()
        assert normal.tobytes() == render_sheet(PPWP, 200, seed=1).tobytes()
    scanner.feed_paper_differs()
    scanner.feed_paper_differs(False)
    assert not scanner.paper_differs_next


def test_a_paper_cannot_name_a_box_the_form_lacks():
    with pytest.raises(ValueError):
        render_realistic(PPWP, 200, numbers={"P.9": 3})
