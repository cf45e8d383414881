"""The legibility gate on generated pages, and what the scan screen does with them."""

from __future__ import annotations

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from drivers.scanner import ScanRequest
from drivers.scanner.fake import FakeScanner
from kiosk.chasil.legibility import Problem, assess, straighten


@pytest.fixture(scope="module")
def page():
    return next(iter(FakeScanner().scan(ScanRequest(dpi=300))))


BAD = {
    Problem.BLANK: lambda p: Image.new("L", p.size, 245),
    Problem.TOO_DARK: lambda p: ImageEnhance.Brightness(p).enhance(0.25),
    Problem.TOO_LIGHT: lambda p: p.point(lambda v: 200 + v * 55 // 255),
    Problem.BLURRED: lambda p: p.filter(ImageFilter.GaussianBlur(6)),
    Problem.SKEWED: lambda p: p.rotate(8, fillcolor=246),
}


def test_a_good_page_passes(page):
    verdict = assess(page)
    assert verdict.ok and abs(verdict.skew_deg) < 0.5


@pytest.mark.parametrize("problem", list(BAD), ids=lambda p: p.value)
def test_each_bad_page_is_refused_for_its_reason(page, problem):
    assert assess(BAD[problem](page)).problem is problem


def test_black_lid_scan_is_too_dark(page):
    assert assess(Image.new("L", page.size, 10)).problem is Problem.TOO_DARK


@pytest.mark.parametrize("angle", [-4, -2, 3])
def test_small_skew_is_measured_and_straightened(page, angle):
    tilted = page.rotate(angle, fillcolor=246, resample=Image.Resampling.BICUBIC)
    verdict = assess(tilted)
    assert verdict.ok
    assert verdict.skew_deg == pytest.approx(-angle, abs=0.5)
    fixed = straighten(tilted, verdict)
    assert abs(assess(fixed).skew_deg) <= 0.5


def test_margins_are_cropped(page):
    out = straighten(page, assess(page))
    assert out.width < page.width and out.height < page.height
    assert out.width > page.width * 0.7  # the form itself is kept whole


def test_scan_screen_holds_bad_pages_and_reorders(client, kiosk):
    from tests.kiosk.conftest import csrf_token, login

    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/scan")
    scanner = kiosk.devices.scanner
    client.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "adf"})  # 2 pages
    pages = kiosk.db.read("SELECT id, problem FROM scan_page ORDER BY position")
    assert [p["problem"] for p in pages] == ["", ""]
    first, second = pages[0]["id"], pages[1]["id"]
    client.post(f"/chasil/PPWP/pages/{second}", data={"csrf_token": token, "action": "up"})
    order = [r["id"] for r in kiosk.db.read("SELECT id FROM scan_page ORDER BY position")]
    assert order == [second, first]
    client.post(f"/chasil/PPWP/pages/{first}", data={"csrf_token": token, "action": "discard"})
    # A blurred rescan replaces the page but is held with the reason shown.
    original = scanner.scan

    def blurred(request):
        return iter([p.filter(ImageFilter.GaussianBlur(6)) for p in original(request)])

    scanner.scan = blurred
    client.post(
        "/chasil/PPWP/scan", data={"csrf_token": token, "source": "flatbed", "replace": str(second)}
    )
    scanner.scan = original
    resp = client.get("/chasil/PPWP/scan")
    assert resp.status_code == 200  # (the held page's reason once crashed this screen)
    html = resp.get_data(as_text=True)
    assert "Halaman kabur" in html and "Tetap gunakan" in html
    live = kiosk.db.read("SELECT problem FROM scan_page WHERE discarded = 0")
    assert [r["problem"] for r in live] == ["blurred"]
