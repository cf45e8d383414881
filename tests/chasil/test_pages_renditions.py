"""Each scanned page is kept as an archival JPEG and a rendition beside it; the signed PDF is
made of the renditions, byte for byte, and the manifest names both files of every page."""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import random

from PIL import Image, ImageChops, ImageStat

from bench.legibility_crops import scanned_page
from kiosk.chasil.legibility import INK_LEVEL, assess
from kiosk.chasil.renditions import (
    paper_band_lut,
    rendition_image,
    rendition_jpeg,
    rendition_path,
)
from kiosk.collector.config import Policy
from kiosk.collector.verify import check_bundle, page_images
from kiosk.upload.bundle import bundle_bytes
from tests.chasil.test_chasil_http import GOOD
from tests.chasil.test_services import _as


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_page_is_kept_as_an_archival_jpeg_and_a_rendition_under_250_kb(kiosk):
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    s.documents.scan("PPWP", ketua, feeder=False)
    (page,) = s.documents.pages("PPWP")
    archival, rendition = page.path.read_bytes(), rendition_path(page.path).read_bytes()
    assert _sha(archival) == page.sha256
    with Image.open(io.BytesIO(archival)) as a, Image.open(io.BytesIO(rendition)) as r:
        assert (a.format, r.format) == ("JPEG", "JPEG")
        assert round(a.info["dpi"][0]) == 300 and round(r.info["dpi"][0]) == 200
        # 200 dpi, cropped to the form (the archival file keeps the whole glass).
        assert a.width / 2 < r.width <= a.width * 2 / 3 + 1
        assert a.height / 2 < r.height <= a.height * 2 / 3 + 1
    assert len(rendition) <= 250 * 1024 < len(archival)
    scans = [r for r in kiosk.audit.rows() if r["kind"] == "scan"]
    assert _sha(rendition) in scans[0]["details"]


def test_the_signed_pdf_holds_the_renditions_and_the_manifest_names_both(kiosk):
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")
    s.documents.scan("PPWP", ketua, feeder=True)
    pages = s.documents.pages("PPWP")
    for p in pages:  # a realistic page may be held by the gate: keep it anyway
        s.documents.use_anyway(p.id, ketua)
    doc = s.documents.finish("PPWP", ketua)
    renditions = [rendition_path(p.path).read_bytes() for p in pages]
    assert page_images(doc.pdf.read_bytes()) == [[r] for r in renditions]
    signed = check_bundle(bundle_bytes(doc.folder), Policy(accept_training=True))
    named = signed.manifest["pages"]
    assert signed.manifest["format"] == "tps-kiosk-manifest/2"
    assert [p["sha256"] for p in named] == [p.sha256 for p in pages]
    assert [p["archival"] for p in named] == [
        {"sha256": p.sha256, "media_type": "image/jpeg"} for p in pages
    ]
    assert [p["rendition"] for p in named] == [
        {
            "sha256": _sha(r),
            "media_type": "image/jpeg",
            "bytes": len(r),
            "straighten_centideg": p.straighten_centideg,
        }
        for r, p in zip(renditions, pages, strict=True)
    ]
    assert s.documents.pages_of(doc) == [
        (rendition_path(p.path), p.straighten_centideg) for p in pages
    ]


def test_the_paper_band_is_flattened_and_ink_keeps_its_tones():
    # Paper at 230 with a scanner's noise (sigma 4), and some ink at 40.
    histogram = [round(10000 * math.exp(-((v - 230) ** 2) / 32)) for v in range(256)]
    histogram[40] += 2000
    lut = paper_band_lut(histogram)
    assert lut[230] == lut[224] == lut[236] == 230  # the paper's noise: one level
    assert all(a <= b for a, b in itertools.pairwise(lut))  # never reorders tones
    assert lut[:200] == list(range(200))  # ink and pencil untouched
    assert lut[255] == 255  # lighter than paper (correction fluid) stays lighter


def test_an_askew_page_is_not_resampled_and_the_signed_pdf_shows_it_straight(kiosk, tmp_path):
    """The rendition keeps the pixels as scanned (cropped, not turned); the turn the gate
    measured goes with the row and the manifest, and the PDF places the image turned: a page
    rendered from the PDF by poppler (which this project did not write) lies straight."""
    import subprocess

    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    page, _ = scanned_page("PPWP", 300, False, "ballpoint", seed=1)
    skew = assess(page).skew_deg
    assert abs(skew) >= 1  # this corpus page lies askew on the glass
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")
    s.documents.scans.keep("PPWP", page, ketua, None, "", skew)
    (kept,) = s.documents.pages("PPWP")
    assert kept.straighten_centideg == round(skew * 100)
    with Image.open(rendition_path(kept.path)) as r:
        assert abs(assess(r).skew_deg - skew) < 0.3  # as it lay: no turn in the pixels
        assert r.width < page.width * 2 / 3  # 200 dpi, cropped to the form
    with Image.open(kept.path) as a:
        assert a.size == page.size
    doc = s.documents.finish("PPWP", ketua)
    assert page_images(doc.pdf.read_bytes()) == [[rendition_path(kept.path).read_bytes()]]
    subprocess.run(
        ["pdftoppm", "-r", "200", "-gray", "-png", str(doc.pdf), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p*.png")
    with Image.open(png) as shown:
        assert abs(assess(shown).skew_deg) < 0.3
        # The form is whole: the turn cut only margins (the shown page holds as much ink).
        with Image.open(rendition_path(kept.path)) as r:
            assert _ink(shown) > 0.97 * _ink(r)
    check_bundle(bundle_bytes(doc.folder), Policy(accept_training=True))


def _ink(image: Image.Image) -> int:
    return sum(image.convert("L").histogram()[:INK_LEVEL])


def test_a_thermal_copy_turns_the_page_straight(tmp_path):
    from kiosk.chasil.copies import thermal_pages
    from kiosk.chasil.renditions import Turned

    page, _ = scanned_page("PPWP", 200, False, "ballpoint", seed=1)
    skew = assess(page).skew_deg
    assert abs(skew) >= 1
    path = tmp_path / "r.jpg"
    path.write_bytes(rendition_jpeg(page, 200))
    as_lay, straight = (
        thermal_pages([Turned(path, turn)], 576)[0].convert("L") for turn in (0, round(skew * 100))
    )

    # The form's outer rules: a straight page's ink starts at one row across its width.
    def top_rows(image: Image.Image) -> tuple[int, int]:
        halves = (image.crop((0, 0, 200, image.height)), image.crop((376, 0, 576, image.height)))
        return tuple(ImageChops.invert(h).getbbox()[1] for h in halves)

    left, right = top_rows(straight)
    assert abs(left - right) <= 2
    left, right = top_rows(as_lay)
    assert abs(left - right) >= 5  # as scanned, one side of the form is higher


def test_the_crop_cuts_no_ink():
    from kiosk.chasil.renditions import form_box

    page, _ = scanned_page("PPWP", 200, True, "ballpoint", seed=1)
    box = form_box(page, 200)
    assert box[2] - box[0] < page.width * 0.98 and box[3] - box[1] < page.height * 0.98
    ink = page.convert("L").point([255 if v < INK_LEVEL else 0 for v in range(256)])
    ink.paste(0, box)
    assert ink.getbbox() is None  # every ink pixel of the page is inside the box


def test_a_page_without_one_paper_tone_is_not_flattened_into_a_blank():
    noise = Image.frombytes("L", (300, 300), random.Random(1).randbytes(300 * 300))
    rendition = rendition_image(noise, 200)
    assert ImageStat.Stat(rendition).stddev[0] > 60  # uniform noise: about 74


def test_the_page_image_is_served_as_the_jpeg_it_is(client, kiosk):
    """The screen's preview is the rendition, a JPEG: served as image/jpeg, not image/png."""
    from tests.kiosk.conftest import login

    kiosk.services.documents.scan("PPWP", _as(kiosk, "kpps1"), feeder=False)
    (page,) = kiosk.services.documents.pages("PPWP")
    login(client, "kpps2")
    response = client.get(f"/chasil/PPWP/pages/{page.id}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == rendition_path(page.path).read_bytes()


def test_a_thermal_copy_prints_every_digit_of_a_pencil_written_sheet(tmp_path):
    """At 576 dots a pencil stroke averages to a light grey: every digit must still print."""
    from kiosk.chasil.copies import thermal_pages
    from kiosk.chasil.renditions import Turned

    for dpi, seed in ((300, 3), (200, 5)):
        page, numbers = scanned_page("PPWP", dpi, False, "pencil", seed=seed)
        path = tmp_path / f"r{dpi}.jpg"
        path.write_bytes(rendition_jpeg(page, dpi, crop=False))  # its pixels map to the page's
        (thermal,) = thermal_pages([Turned(path, 0)], 576)
        scale = 576 / page.width
        empty = []
        for number in numbers:
            for digit, (x0, y0, x1, y1) in number.digits:
                ink = thermal.crop(
                    (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))
                )
                if ink.convert("L").histogram()[0] < 2:  # black dots on the thermal paper
                    empty.append(f"{number.box}:{digit}")
        assert not empty, f"{dpi} dpi: digits missing on the thermal copy: {empty}"
