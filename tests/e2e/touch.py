"""Taps as a KPPS member makes them on the 800×480 panel, counted and checked.

`Touch.tap` is the only way the day tests touch a page. Before each tap it checks that the target
is on screen where it is (no scrolling: a swipe must be asked for with ``swipe=True`` and is
counted). Each time a new screen appears it checks the screen budget (../shared/TOUCH.md): the
chrome above the page is at most 96 px and the page's primary action (``[data-primary]``) is in
view without scrolling; it takes a viewport screenshot of that screen for the flow's contact sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

CHROME_MAX_PX = 96
WIDTH, HEIGHT = 800, 480


def chrome_px(page: Page) -> float:
    """How far down the page's content area starts: the header's bottom, and main's top."""
    header = page.locator("header[data-chrome]")
    expect(header).to_have_count(1)
    box = header.bounding_box()
    assert box is not None
    main_top = page.evaluate("document.querySelector('main').getBoundingClientRect().top")
    return max(box["y"] + box["height"], float(main_top))


def in_view(page: Page, target: Locator) -> bool:
    """The whole target inside the viewport as the page stands now."""
    box = target.bounding_box()
    size = page.viewport_size or {"width": WIDTH, "height": HEIGHT}
    return (
        box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= size["height"] + 0.5
        and box["x"] + box["width"] <= size["width"] + 0.5
    )


@dataclass
class Screen:
    """One screen met on the way: where, in which flow, and its screenshot."""

    flow: str
    key: str
    shot: Path


@dataclass
class Touch:
    """Counts taps, swipes and screens; checks every new screen against the budget."""

    page: Page
    shots: Path
    flow: str = "start"
    taps: int = 0
    swipes: int = 0
    taps_by_flow: dict[str, int] = field(default_factory=dict)
    screens: list[Screen] = field(default_factory=list)
    # Every breach of the budget, in order; the day test asserts at its end that there is none,
    # so one run lists them all.
    problems: list[str] = field(default_factory=list)
    _last_key: str = ""

    @contextmanager
    def in_flow(self, name: str) -> Iterator[None]:
        """Taps and screens inside the block belong to this flow (login, checklist, ...)."""
        before, self.flow = self.flow, name
        try:
            yield
        finally:
            self.flow = before

    def screen_key(self) -> str:
        """A screen is its path and, for step screens that change without a page load, the
        page's own step marker (``[data-screen]``)."""
        path = re.sub(r"^https?://[^/]+", "", self.page.url).split("#")[0]
        marker = self.page.locator("[data-screen]")
        if marker.count():
            path += "#" + (marker.first.get_attribute("data-screen") or "")
        return path

    def look(self) -> None:
        """Check the screen now shown if it is new: chrome, primary action, screenshot."""
        self.page.wait_for_load_state()
        key = self.screen_key()
        if key == self._last_key:
            return
        self._last_key = key
        name = f"{self.flow}: {key}"
        if self.page.evaluate("window.scrollY") != 0:
            self.problems.append(f"{name} opens scrolled")
        chrome = chrome_px(self.page)
        if chrome > CHROME_MAX_PX:
            self.problems.append(f"{name}: chrome {chrome} px")
        primary = self.page.locator("[data-primary]:visible").first
        if not primary.count():
            self.problems.append(f"{name}: no primary action")
        elif not in_view(self.page, primary):
            self.problems.append(f"{name}: primary action below the fold")
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"flow-{self.flow}-{len(self.screens) + 1:03d}.png"
        self.page.screenshot(path=str(path))
        self.screens.append(Screen(self.flow, key, path))

    def tap(self, target: Locator, swipe: bool = False) -> None:
        """One finger on the target. Off screen it takes a swipe first (counted), which is a
        problem unless the caller says the screen is one to scroll (``swipe=True``)."""
        self.look()
        expect(target).to_be_visible()
        if not in_view(self.page, target):
            if not swipe:
                self.problems.append(f"{self.flow}: {target} off screen at {self.page.url}")
            target.scroll_into_view_if_needed()
            self.swipes += 1
        target.click()
        self.taps += 1
        self.taps_by_flow[self.flow] = self.taps_by_flow.get(self.flow, 0) + 1
        self.look()

    def digits(self, pad: Locator, digits: str) -> None:
        """Digits on a numeric keypad (PIN, clock, C.Hasil): ``button[data-key=...]``."""
        for d in digits:
            self.tap(pad.locator(f"button[data-key='{d}']"))

    def osk_type(self, field_: Locator, text: str) -> None:
        """Tap the field, type on the on-screen keyboard, close it with OK. Capitals through
        the shift key, read from the keyboard's own labels."""
        self.tap(field_)
        osk = self.page.locator(".osk")
        expect(osk).to_be_visible()
        before = field_.input_value()
        for ch in text:
            key = osk.locator(f"button[data-osk-key='{'space' if ch == ' ' else ch.lower()}']")
            if ch.isalpha() and (key.inner_text() == ch.upper()) != ch.isupper():
                self.tap(osk.locator("button[data-osk-key='shift']"))
            self.tap(key)
        expect(field_).to_have_value(before + text)
        self.tap(osk.locator("button[data-osk-key='done']"))
        expect(osk).to_be_hidden()

    def contact_sheets(self) -> list[Path]:
        """One image per flow: its screens in order, numbered (artifacts/screenshots/)."""
        out = []
        for flow in dict.fromkeys(s.flow for s in self.screens):
            shots = [(s.shot, s.key) for s in self.screens if s.flow == flow]
            out.append(contact_sheet(shots, self.shots / f"contact-{flow}.png"))
        return out


def contact_sheet(shots: list[tuple[Path, str]], out: Path, cols: int = 4) -> Path:
    """Screenshots at half size in rows of ``cols``, each under its number and label."""
    w, h, label = WIDTH // 2, HEIGHT // 2, 18
    rows = max(1, (len(shots) + cols - 1) // cols)
    sheet = Image.new("RGB", (cols * w, rows * (h + label)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (path, text) in enumerate(shots):
        x, y = (i % cols) * w, (i // cols) * (h + label)
        with Image.open(path) as im:
            sheet.paste(im.convert("RGB").resize((w, h)), (x, y + label))
        draw.text((x + 4, y + 2), f"{i + 1}. {text}"[:60], fill="black")
    sheet.save(out)
    return out
