"""The realistic scan corpus: same seed same bytes, real noise, handwriting inside its boxes,
skew within ±2°, and pages the legibility gate takes as a real scan would be taken."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from drivers import registry
from drivers.scanner import ColorMode, ScanRequest
from drivers.scanner.corpus import VARIANTS, corpus_page, write_corpus
from drivers.scanner.fake import FakeScanner
from drivers.scanner.realistic import MAX_SKEW_DEG, realistic_page, render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS, number_boxes, render_sheet
from kiosk.chasil.legibility import assess
from kiosk.settings import Settings

PPWP = SAMPLE_SHEETS[0]


@pytest.fixture(scope="module")
def corpus():
    """One page of each variant (200/300 dpi, grey/colour, ballpoint/pencil)."""
    return [corpus_page(i) for i in range(len(VARIANTS))]


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_same_seed_same_bytes_other_seed_other_page():
    a = render_realistic(PPWP, 200, pen="pencil", seed=7)
    b = render_realistic(PPWP, 200, pen="pencil", seed=7)
    c = render_realistic(PPWP, 200, pen="pencil", seed=8)
    assert _png(a.image) == _png(b.image)
    assert a.numbers == b.numbers
    assert a.image.tobytes() != c.image.tobytes()


def test_sensor_noise_and_paper_are_really_there():
    real = render_realistic(PPWP, 200, seed=1)
    clean = render_sheet(PPWP, 200, seed=1)
    # Bare paper: below the form's frame, away from the page edges the skew may expose.
    w, h = real.image.size
    patch = real.image.crop((w // 2, h - h // 8, w - w // 8, h - h // 16))
    grain = ImageStat.Stat(ImageChops.difference(patch, patch.filter(ImageFilter.BoxBlur(2))))
    level = ImageStat.Stat(patch).mean[0]
    assert 2.0 <= real.noise_sigma <= 8.0
    assert grain.mean[0] >= 1.5, f"bare paper is too even for a scan: {grain.mean[0]:.2f}"
    assert 200 < level < 250  # paper is never pure white
    assert len(_png(real.image)) > 10 * len(_png(clean))


def test_more_sensor_noise_more_grain_same_page_otherwise():
    def grain(sigma):
        page = render_realistic(PPWP, 200, seed=2, noise_sigma=sigma)
        w, h = page.image.size
        patch = page.image.crop((w // 2, h - h // 8, w - w // 8, h - h // 16))
        diff = ImageChops.difference(patch, patch.filter(ImageFilter.BoxBlur(2)))
        return ImageStat.Stat(diff).mean[0], page.numbers, page.skew_deg

    (low, numbers_low, skew_low), (high, numbers_high, skew_high) = grain(2.0), grain(8.0)
    assert high > 2 * low
    assert (numbers_low, skew_low) == (numbers_high, skew_high)


def test_handwriting_sits_inside_its_boxes(corpus):
    for page in corpus:
        boxes = number_boxes(next(s for s in SAMPLE_SHEETS if s.ballot == page.sheet))
        assert {n.box for n in page.numbers} == set(boxes)
        for n in page.numbers:
            x0, y0, x1, y1 = n.bbox
            bx0, by0, bx1, by1 = n.box_rect
            assert bx0 <= x0 < x1 <= bx1 and by0 <= y0 < y1 <= by1, (page.sheet, n)
            assert len(n.digits) == len(n.text)
            for _, (dx0, dy0, dx1, dy1) in n.digits:
                assert x0 <= dx0 < dx1 <= x1 and y0 <= dy0 < dy1 <= y1


def test_blue_ink_above_the_signatures_is_only_in_the_numbers_bboxes():
    """Independent of the bookkeeping: find the ballpoint's blue on the image itself."""
    page = render_realistic(PPWP, 200, colour=True, pen="ballpoint", seed=3)
    f = 4  # average 4 x 4 pixels: sensor noise alone never looks blue then
    small = page.image.resize((page.image.width // f, page.image.height // f), Image.Resampling.BOX)
    r, _, b = small.split()
    pixels_r, pixels_b = r.load(), b.load()
    signatures_top = max(n.box_rect[3] for n in page.numbers) // f + 2
    found = {n.box: 0 for n in page.numbers}
    stray = []
    for y in range(min(signatures_top, small.height)):
        for x in range(small.width):
            if pixels_b[x, y] - pixels_r[x, y] > 40:
                inside = [
                    n.box
                    for n in page.numbers
                    if n.bbox[0] - f <= x * f < n.bbox[2] + f
                    and n.bbox[1] - f <= y * f < n.bbox[3] + f
                ]
                if inside:
                    found[inside[0]] += 1
                else:
                    stray.append((x * f, y * f))
    assert not stray, f"blue ink outside every number's bbox at {stray[:5]}"
    assert all(found.values()), (
        f"numbers without visible ink: {[k for k, v in found.items() if not v]}"
    )


def test_skew_stays_within_two_degrees_and_is_what_the_gate_measures(corpus):
    for page in corpus:
        assert abs(page.skew_deg) <= MAX_SKEW_DEG
        measured = assess(page.image).skew_deg  # the rotation that levels the rows
        assert abs(measured + page.skew_deg) <= 0.5, (page.skew_deg, measured)
    assert max(abs(p.skew_deg) for p in corpus) > 0.5  # really askew, not all straight


@pytest.mark.parametrize(
    "index", range(len(VARIANTS)), ids=lambda i: "-".join(map(str, VARIANTS[i]))
)
def test_the_legibility_gate_takes_each_variant(corpus, index):
    page = corpus[index]
    verdict = assess(page.image)
    assert verdict.ok, (page.dpi, page.colour, page.pen, verdict)


def test_pencil_is_lighter_than_ballpoint_and_pressure_varies(corpus):
    def ink_levels(page):
        grey = page.image.convert("L")
        # darkest tenth of each number's bbox: the stroke's core
        out = []
        for n in page.numbers:
            hist = grey.crop(n.bbox).histogram()
            total, acc = sum(hist), 0
            for level, count in enumerate(hist):
                acc += count
                if acc >= total * 0.05:
                    out.append(level)
                    break
        return out

    grey300 = {p.pen: p for p in corpus if p.dpi == 300 and not p.colour}
    ball, pencil = ink_levels(grey300["ballpoint"]), ink_levels(grey300["pencil"])
    assert sum(pencil) / len(pencil) > sum(ball) / len(ball) + 30
    assert max(ball) - min(ball) >= 8, "every number written with the same pressure"


def test_colour_pages_are_rgb_with_blue_ballpoint_and_grey_pages_are_grey(corpus):
    for page in corpus:
        assert page.image.mode == ("RGB" if page.colour else "L")
        assert page.image.info["dpi"] == (page.dpi, page.dpi)
        assert page.image.size == (
            round(210 / 25.4 * page.dpi - 0.5),
            round(297 / 25.4 * page.dpi - 0.5),
        )


def test_realistic_page_by_ballot_name():
    _, numbers = realistic_page("DPD", 200, False, "ballpoint", 5)
    values = {n.box: n.value for n in numbers}
    assert values == SAMPLE_SHEETS[2].boxes()
    with pytest.raises(ValueError):
        realistic_page("DPRD", 200, False, "ballpoint", 5)
    with pytest.raises(ValueError):
        realistic_page("DPD", 200, False, "crayon", 5)


def test_fake_scanner_delivers_realistic_pages_when_set():
    scanner = FakeScanner(pages="realistic")
    page = next(iter(scanner.scan(ScanRequest(dpi=200, mode=ColorMode.COLOR))))
    expected = render_realistic(PPWP, 200, colour=True, seed=0, hand="glyphs")
    assert page.tobytes() == expected.image.tobytes()
    with pytest.raises(ValueError):
        FakeScanner(pages="dirty")


def test_the_setting_reaches_the_fake_scanner(tmp_path):
    demo = Settings.from_values(data_dir=tmp_path, hardware="fake", training=True)
    assert registry.open_scanner(demo.device_config()).pages == "realistic"
    clean = demo.replace(fake_scan_pages="clean")
    assert registry.open_scanner(clean.device_config()).pages == "clean"


def test_the_corpus_writes_pages_truth_and_crops(tmp_path):
    path = write_corpus(tmp_path, pages=2, seed=11, crops_per_page=2)
    truth = json.loads(path.read_text())
    assert [p["file"] for p in truth["pages"]] == [
        "000-PPWP-300dpi-grey-ballpoint.png",
        "001-DPR-300dpi-grey-pencil.png",
    ]
    for entry in truth["pages"]:
        data = (tmp_path / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert Image.open(io.BytesIO(data)).size == tuple(entry["size"])
        assert all(len(n["digits"]) == len(str(n["value"])) for n in entry["numbers"])
    assert len(list((tmp_path / "crops").glob("*.png"))) == 4
