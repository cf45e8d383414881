"""The checklist by touch: steps ticked, counts typed, phases signed off."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.touch import Touch


def lanjut(touch: Touch, says: str) -> None:
    """Home screen: the one next thing to do, then its big green button."""
    page = touch.page
    touch.tap(page.locator("a.brand"))
    expect(page.locator(".next-text")).to_contain_text(says)
    touch.tap(page.locator("#next-button"))


def step(page: Page, step_id: str) -> Locator:
    return page.locator(f"li[data-step='{step_id}']")


def expect_done(page: Page, step_id: str) -> None:
    expect(step(page, step_id)).to_have_attribute("data-status", "done")
    expect(step(page, step_id).locator(".mark")).to_have_text("✔")


def tick(touch: Touch, step_id: str, button: str = "Selesai") -> None:
    touch.tap(step(touch.page, step_id).get_by_role("button", name=button, exact=True))
    expect_done(touch.page, step_id)


def sign_off(touch: Touch, step_id: str) -> None:
    tick(touch, step_id, "Tanda tangani")


def per_ballot(touch: Touch, step_id: str, counts: dict[str, int]) -> None:
    page = touch.page
    for ballot, n in counts.items():
        touch.osk_type(step(page, step_id).locator(f"input[name='value:{ballot}']"), str(n))
    tick(touch, step_id)
    for ballot, n in counts.items():  # every count is shown with the step
        expect(step(page, step_id)).to_contain_text(re.compile(rf"{ballot}\W+{n}\b"))


def phase_done(page: Page, phase: str) -> None:
    expect(page.locator(f"section.phase[data-phase='{phase}']")).to_have_class("phase done")
