"""Render short reports (readiness, the day's opening and closing reports, C.Kejadian
Khusus) for both printers.

A receipt is one Pillow image exactly ``width_px`` dots wide, so the fake printer's PNG is what the
thermal printer prints. An A4 report is a text PDF made with fpdf2 (text stays searchable and
checkable) by kiosk.paper.pdf in the paper child. In training mode both carry SIMULASI. Times
go on paper with their zone (``clock_time``: WIB, WITA or WIT).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from kiosk.paper import pdf as paper_pdf
from kiosk.paper.pdf import DEJAVU, DEJAVU_BOLD, TRAINING_MARK
from kiosk.tps_time import format_tps_time

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def clock_time(wall: str, tps_code: str) -> str:
    """A recorded time (ISO 8601) as a report prints it: "13:05 WITA", on the TPS's clock."""
    return format_tps_time(wall, tps_code, "%H:%M")


def _font(size_px: int, bold: bool = False) -> Font:
    path = DEJAVU_BOLD if bold else DEJAVU
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def render_receipt(
    title: str, lines: Sequence[str], width_px: int, training: bool = False
) -> Image.Image:
    """A 1-bit receipt image ``width_px`` dots wide: title, then each line wrapped to fit."""
    margin = max(8, width_px // 48)
    body, head = _font(max(18, width_px // 24)), _font(max(22, width_px // 18), bold=True)
    scratch = ImageDraw.Draw(Image.new("1", (1, 1)))
    blocks: list[tuple[str, Font]] = []
    if training:
        blocks.append((f"*** {TRAINING_MARK} ***", head))
    blocks += [(t, head) for t in _wrap(scratch, title, head, width_px - 2 * margin)]
    for line in lines:
        blocks += [(t, body) for t in _wrap(scratch, line, body, width_px - 2 * margin)]
    if training:
        blocks.append((f"*** {TRAINING_MARK} ***", head))
    line_h = [
        int(f.size * 1.35) if isinstance(f, ImageFont.FreeTypeFont) else 16 for _, f in blocks
    ]
    img = Image.new("1", (width_px, sum(line_h) + 2 * margin), 1)
    draw = ImageDraw.Draw(img)
    y = margin
    for (text, font), h in zip(blocks, line_h, strict=True):
        x = margin
        if font is head:
            x = max(margin, int((width_px - draw.textlength(text, font=font)) / 2))
        draw.text((x, y), text, font=font, fill=0)
        y += h
    return img


def watermark_image(page: Image.Image) -> Image.Image:
    """A copy of a 1-bit ``page`` with SIMULASI in outlined letters from corner to corner.

    Outlines only: the handwriting under the word stays readable, and the word cannot be cut
    off a training copy the way a line above or below the page could be.
    """
    diagonal = math.hypot(page.width, page.height)
    size = max(12, int(diagonal / (len(TRAINING_MARK) * 0.75)))
    font = _font(size, bold=True)
    scratch = ImageDraw.Draw(Image.new("L", (1, 1)))
    stroke = max(2, size // 24)
    left, top, right, bottom = scratch.textbbox(
        (0, 0), TRAINING_MARK, font=font, stroke_width=stroke
    )
    word = Image.new("L", (math.ceil(right - left), math.ceil(bottom - top)), 0)
    draw = ImageDraw.Draw(word)
    draw.text((-left, -top), TRAINING_MARK, font=font, fill=255, stroke_width=stroke)
    draw.text((-left, -top), TRAINING_MARK, font=font, fill=0)  # hollow out the letters
    angle = math.degrees(math.atan2(page.height, page.width))
    word = word.rotate(angle, expand=True, resample=Image.Resampling.BILINEAR)
    scale = min(page.width / word.width, page.height / word.height)
    word = word.resize((max(1, int(word.width * scale)), max(1, int(word.height * scale))))
    mask = Image.new("L", page.size, 0)
    mask.paste(word, ((page.width - word.width) // 2, (page.height - word.height) // 2))
    out = page.convert("1").copy()
    out.paste(0, (0, 0), mask.point(lambda v: 255 if v > 96 else 0).convert("1"))
    return out


def test_receipt(width_px: int) -> Image.Image:
    """The self-test's receipt: a ruler across the full width proves the paper width setting."""
    img = render_receipt(
        "TPS Kiosk — tes printer",
        ["Jika garis di bawah ini utuh dari tepi ke tepi, lebar kertas sudah benar."],
        width_px,
    )
    ruler = Image.new("1", (width_px, 24), 1)
    draw = ImageDraw.Draw(ruler)
    draw.rectangle((0, 8, width_px - 1, 15), fill=0)
    out = Image.new("1", (width_px, img.height + ruler.height), 1)
    out.paste(img, (0, 0))
    out.paste(ruler, (0, img.height))
    return out


def report_pdf(title: str, lines: Sequence[str], training: bool = False) -> bytes:
    """An A4 PDF with the title and one paragraph per line; SIMULASI across each page. Made in
    the paper child (kiosk.render_worker): the web app never loads fpdf2."""
    from kiosk.render_worker import run

    return run(paper_pdf.report, title, list(lines), training)


def make_report_pdf(title: str, lines: Sequence[str], training: bool = False) -> bytes:
    """``report_pdf`` made in this process."""
    return paper_pdf.report(title, lines, training)


def test_page_pdf() -> bytes:
    return report_pdf(
        "TPS Kiosk — halaman tes printer A4",
        ["Jika halaman ini tercetak jelas, printer A4 siap digunakan."],
    )
