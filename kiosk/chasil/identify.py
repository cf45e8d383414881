"""Which C.Hasil form a scanned page is, read from the page itself: its printed title.

KPU's C.Hasil forms for DPR, DPRD Provinsi and DPRD Kabupaten/Kota share one layout (party and
candidate rows; only their number differs) and differ in the title, so the title decides:
Tesseract (Debian's ``tesseract-ocr`` with the Indonesian model ``tesseract-ocr-ind``) reads the
top band of the page, turned straight by the legibility gate's measured skew and reduced to
``OCR_DPI``, and the line most like a known form's title names the form.

Measured on the realistic corpus (PPWP, DPR and DPD sheets at 200 and 300 dpi, ballpoint and
pencil, skewed up to 2 degrees; figures in README "C.Hasil"): every title read, about a tenth of
a second a page here, most of it Tesseract starting; the top tenth of the page at 150 dpi is as
sure as a larger band at 300 dpi and half the time. A page whose title matches no form closely
enough, or two forms almost equally, is *not identified* and is held as such: a person looks.

The web app never loads Tesseract: it runs as its own process for each page, on one thread.
"""

from __future__ import annotations

import difflib
import enum
import io
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from PIL import Image

from kiosk.chasil.renditions import at_most_dpi

if TYPE_CHECKING:
    from kiosk.forms import FormPage
    from kiosk.profile import Profile

log = logging.getLogger(__name__)

TITLE_BANDS = (0.10, 0.25)  # of the page's height from the top: the second when the first fails
OCR_DPI = 150
OCR_TIMEOUT_S = 20.0
TESSERACT = "tesseract"  # Debian's, on PATH (the self-test asks it through pytesseract)
MIN_LIKENESS = 0.85  # of a line to a title (difflib ratio, letters and digits only)
MIN_MARGIN = 0.05  # the best form's likeness over the next one's (DPR and DPD: 1 letter)


class FormProblem(enum.Enum):
    """Why a legible page is held for its form (``scan_page.problem``, as legibility.Problem)."""

    WRONG_FORM = "wrong_form"  # its title names another ballot's form (``scan_page.form``)
    NOT_IDENTIFIED = "not_identified"  # no known form's title was read on it


FORM_PROBLEMS = frozenset(p.value for p in FormProblem)


class OcrUnavailable(RuntimeError):
    """Tesseract or its Indonesian model is not installed, or did not answer."""


@dataclass(frozen=True)
class Identified:
    """What the page says it is: ``form`` (None: not identified) and the text read."""

    form: FormPage | None
    text: str


def _letters(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def likeness(title: str, line: str) -> float:
    """How alike a form's ``title`` and a ``line`` read on the page are (0..1), comparing
    letters and digits only and the best stretch of the line as long as the title (a line may
    carry more than the title)."""
    want, got = _letters(title), _letters(line)
    if not want or not got:
        return 0.0
    if want in got:
        return 1.0
    n = len(want)
    starts = range(max(1, len(got) - n + 1))
    return max(difflib.SequenceMatcher(None, want, got[i : i + n]).ratio() for i in starts)


def match_title(text: str, forms: Sequence[FormPage]) -> FormPage | None:
    """The form whose title one line of ``text`` matches best, if it matches closely and
    clearly better than any other form's title does."""
    lines = [line for line in text.splitlines() if line.strip()]
    scored = sorted(
        ((max((likeness(f.title, line) for line in lines), default=0.0), f) for f in forms),
        key=lambda pair: pair[0],
        reverse=True,
    )
    if not scored or scored[0][0] < MIN_LIKENESS:
        return None
    best, form = scored[0]
    rivals = [score for score, other in scored[1:] if other.title != form.title]
    if rivals and best - rivals[0] < MIN_MARGIN:
        return None
    return form


def title_band(page: Image.Image, skew_deg: float, dpi: int, share: float) -> Image.Image:
    """The top ``share`` of ``page`` (scanned at ``dpi``), grey, turned straight and at
    ``OCR_DPI``."""
    grey = page if page.mode == "L" else page.convert("L")
    band = grey.crop((0, 0, grey.width, max(1, round(grey.height * share))))
    band = at_most_dpi(band, dpi, OCR_DPI)
    if skew_deg:
        band = band.rotate(skew_deg, Image.Resampling.BILINEAR, fillcolor=255)
    return band


def pytesseract_module() -> ModuleType:
    """pytesseract, for the self-test (Tesseract's version and models; ``read_text`` runs
    Tesseract without it), imported without numpy and pandas: it loads them when they are
    installed (numpy is, for the digit reader), only to accept their arrays, which the kiosk
    never passes it; in the web app numpy alone would cost ~12 MB RSS. Hidden only while
    pytesseract is first imported: whoever imports numpy later gets it."""
    loaded: ModuleType | None = sys.modules.get("pytesseract")
    if loaded is not None:
        return loaded
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ModuleNotFoundError
    try:
        import pytesseract

        module: ModuleType = pytesseract
    finally:
        for name in hidden:
            del sys.modules[name]
    return module


def read_text(image: Image.Image) -> str:
    """What Tesseract reads on ``image`` (Indonesian model, one block of text): ``TESSERACT``
    run on the image as PNG through stdin and stdout, so no temporary files, and on one
    OpenMP thread (``OMP_THREAD_LIMIT=1``): on a title band its threads only wait on each
    other, so one cuts its CPU time from ~345 to ~95 ms a page (bench/identify_bench.py)."""
    png = io.BytesIO()
    image.save(png, "PNG", compress_level=1)
    command = [TESSERACT, "stdin", "stdout", "-l", "ind", "--psm", "6"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            command,
            input=png.getvalue(),
            capture_output=True,
            env=env,
            timeout=OCR_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"{TESSERACT}: {exc}") from exc
    if done.returncode:
        said = done.stderr.decode(errors="replace").strip()
        raise OcrUnavailable(f"{TESSERACT} exited {done.returncode}: {said[-300:]}")
    return done.stdout.decode(errors="replace")


def identify(page: Image.Image, skew_deg: float, dpi: int, forms: Sequence[FormPage]) -> Identified:
    """Read the title of ``page`` and name its form among ``forms``."""
    text = ""
    for share in TITLE_BANDS:
        text = read_text(title_band(page, skew_deg, dpi, share))
        form = match_title(text, forms)
        if form is not None:
            return Identified(form, text)
    log.info("page not identified; read %r", text[:200])
    return Identified(None, text)


def form_problem(
    page: Image.Image, skew_deg: float, dpi: int, ballot: str, forms: Sequence[FormPage]
) -> tuple[str, str]:
    """Whether ``page`` is a page of ``ballot``'s form: ``(problem, model)``, the problem ""
    when it is (a ``FormProblem`` value otherwise) and the model its title names ("" if
    none). A ballot without form definitions is not checked: ``("", "")``."""
    if not any(f.ballot == ballot for f in forms):
        return "", ""
    try:
        found = identify(page, skew_deg, dpi, forms)
    except OcrUnavailable as exc:  # a kiosk built without Tesseract: a person must look
        log.error("cannot read the page's title: %s", exc)
        return FormProblem.NOT_IDENTIFIED.value, ""
    if found.form is None:
        return FormProblem.NOT_IDENTIFIED.value, ""
    if found.form.ballot != ballot:
        return FormProblem.WRONG_FORM.value, found.form.model
    return "", found.form.model


def known_forms(profile: Profile | None) -> tuple[FormPage, ...]:
    """The forms a page is identified against: the profile's (KPU's real forms), and the
    project's own for each ballot the profile defines none for (kiosk.forms.forms_for)."""
    from kiosk.forms import forms_for

    return forms_for(profile.forms if profile is not None else ())
