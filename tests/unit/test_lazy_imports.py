"""The heavy libraries load when their feature first runs, not with the process
(bench/memory_bench.py measures what each one costs; fpdf2 alone adds about 45 MB RSS).

Each check runs in a fresh interpreter, so what another test imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Paper, PDF and device libraries: the screen needs none of them to start or to show home.
# (gpiozero does: the status panel's lights follow the kiosk from its start, on MockFactory
# pins in training.)
PRINTING_AND_PDF = ("fpdf", "fontTools", "pypdf", "img2pdf", "pikepdf", "qrcode", "escpos")
DEVICE_LIBRARIES = ("sane", "smartcard", "cups", "usb", "serial")
IMAGE_PROCESSING = ("numpy", "cv2", "scipy", "skimage")
# The web stack: the upload worker serves no page (its messages are kiosk.lazy_text's).
WEB_STACK = ("flask", "flask_babel", "jinja2", "werkzeug", "babel", "waitress", "flask_wtf")
WEB_APP = ("kiosk.app", "kiosk.views", "kiosk.wiring", "PIL", "gpiozero")


def last_json_line(script: str) -> Any:
    """Run ``script`` in a fresh interpreter; the JSON of its last line of output."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def loaded_after(code: str) -> set[str]:
    """The top-level packages (and kiosk modules) a fresh interpreter has after ``code``."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import json, sys
        names = {m.split(".")[0] for m in sys.modules}
        names |= {m for m in sys.modules if m.startswith("kiosk.")}
        print(json.dumps(sorted(names)))
    """)
    return set(last_json_line(script))


def test_the_web_app_starts_and_shows_home_without_paper_pdf_or_device_libraries(
    tmp_path: Path,
) -> None:
    loaded = loaded_after(f"""
        from kiosk import create_app
        from kiosk.settings import Settings
        from kiosk.tps import SAMPLE_PROFILE
        settings = Settings.from_values(
            data_dir={str(tmp_path / "data")!r}, hardware="fake", training=True
        )
        app = create_app(settings, provision_from=SAMPLE_PROFILE)
        assert app.test_client().get("/").status_code == 200
        app.extensions["kiosk"].close()
    """)
    early = loaded & {*PRINTING_AND_PDF, *DEVICE_LIBRARIES, *IMAGE_PROCESSING}
    assert not early, f"loaded before any print, scan or PDF: {sorted(early)}"


def test_the_upload_worker_imports_no_web_stack_and_no_pdf_library() -> None:
    loaded = loaded_after("import kiosk.upload.run")
    web = {*WEB_STACK, *WEB_APP}
    early = loaded & {*web, *PRINTING_AND_PDF, *DEVICE_LIBRARIES, *IMAGE_PROCESSING}
    assert not early, f"the worker loads: {sorted(early)}"


def test_a4_paper_is_made_in_the_paper_child_and_the_process_loads_no_pdf_library() -> None:
    """A report and the signed PDF's pages: made in kiosk.render_worker's child, so
    the process that asked has none of the paper libraries afterwards (the child had them)."""
    loaded = loaded_after("""
        import datetime as dt
        import io
        from PIL import Image
        from kiosk import render_worker
        from kiosk.chasil.signing import images_pdf
        from kiosk.services.report_render import report_pdf
        from tests.unit.test_lazy_imports import child_modules
        jpeg = io.BytesIO()
        Image.new("L", (80, 100), 200).save(jpeg, "JPEG")
        assert report_pdf("Laporan", ["baris"]).startswith(b"%PDF")
        made = dt.datetime(2024, 2, 14, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        assert render_worker.run(images_pdf, [jpeg.getvalue()], [150], made).startswith(b"%PDF")
        assert render_worker.run(child_modules) >= {"fpdf", "img2pdf"}
        render_worker.shutdown()
    """)
    assert not loaded & set(PRINTING_AND_PDF), sorted(loaded & set(PRINTING_AND_PDF))
    assert "kiosk.render_worker" in loaded


def child_modules() -> set[str]:
    """The top-level packages (and kiosk modules) the paper child has loaded (run in the
    child; a module it keeps out, None in sys.modules, is not loaded)."""
    loaded = [name for name, module in sys.modules.items() if module is not None]
    return {m.split(".")[0] for m in loaded} | {m for m in loaded if m.startswith("kiosk")}


def test_the_paper_child_loads_what_paper_needs_and_no_web_stack_nor_kiosk_feature(
    tmp_path: Path,
) -> None:
    """Every kind of paper the day makes in the child (a report, the signed PDF, an A4 copy,
    the distribution receipt), asked the way the web app asks; the child then holds the paper
    libraries and kiosk.paper, not Flask, the profile nor the document's module."""
    script = textwrap.dedent(f"""
        import datetime as dt, io, json
        from pathlib import Path
        from PIL import Image
        from kiosk import render_worker
        from kiosk.chasil import copy_receipt, copy_render
        from kiosk.chasil.signing import Document, images_pdf
        from kiosk.profile import parse_profile
        from kiosk.services.report_render import report_pdf
        from kiosk.tps import SAMPLE_PROFILE
        from tests.unit.test_lazy_imports import child_modules
        folder = Path({str(tmp_path)!r})
        jpeg = io.BytesIO()
        Image.new("L", (80, 100), 200).save(jpeg, "JPEG")
        assert report_pdf("Laporan", ["baris"], True).startswith(b"%PDF")
        made = dt.datetime(2024, 2, 14, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        pdf = render_worker.run(images_pdf, [jpeg.getvalue()], [150], made)
        (folder / "document.pdf").write_bytes(pdf)
        doc = Document(1, "PPWP", folder, "ab" * 32, 1, True)
        profile = parse_profile(SAMPLE_PROFILE.read_text())
        label = copy_render.CopyLabel(1, 4, "PPS", "13:05 WITA", False)
        assert copy_render.copy_pdf(profile, doc, label).startswith(b"%PDF")
        job = dict(state="printed", printer="a4", printed_wall="2024-02-14T13:05:00+08:00",
                   copy_no=1, copies=4, recipient="PPS", reprint=False)
        receipt = copy_receipt.receipt_pdf(profile, doc, [job], "13:10 WITA", lambda w: "13:05")
        assert receipt.startswith(b"%PDF")
        print(json.dumps(sorted(render_worker.run(child_modules))))
        render_worker.shutdown()
    """)
    child = set(last_json_line(script))
    web = child & {*WEB_STACK, *DEVICE_LIBRARIES, *IMAGE_PROCESSING, "escpos"}
    assert not web, f"the paper child loads: {sorted(web)}"
    kiosk = {m for m in child if m.startswith("kiosk")}
    allowed = {"kiosk", "kiosk.heap", "kiosk.paper"} | {
        m for m in kiosk if m.startswith("kiosk.paper.")
    }
    assert kiosk <= allowed, (
        f"the paper child loads kiosk modules beyond kiosk.paper: {sorted(kiosk)}"
    )
    assert child >= {"fpdf", "img2pdf", "pypdf", "qrcode", "PIL", "kiosk.paper.pdf"}


def test_a_message_loads_flask_babel_when_it_is_read_and_reads_as_before() -> None:
    """kiosk.lazy_text's message renders through flask_babel in the locale of the moment, as
    flask_babel's own lazy string does."""
    loaded = loaded_after("""
        import sys
        from kiosk.lazy_text import lazy_gettext
        ours = lazy_gettext("Log in")
        assert "flask_babel" not in sys.modules
        from kiosk.i18n import in_language
        from flask_babel import lazy_gettext as flask_lazy
        theirs = flask_lazy("Log in")
        for language in ("id", "en"):
            with in_language(language):
                assert str(ours) == str(theirs) and ours == theirs and len(ours) == len(theirs)
                assert ours + "!" == theirs + "!" and f"{ours}" == f"{theirs}"
                assert ours.__html__() == theirs.__html__() and hash(ours) == hash(theirs)
        with in_language("id"):
            assert str(ours) != "Log in", "no translation: the test checks nothing"
    """)
    assert "flask_babel" in loaded


def test_a_receipt_printed_on_the_fake_printer_loads_python_escpos_only_when_its_bytes_are_read(
    tmp_path: Path,
) -> None:
    """Every receipt the web app draws needs the paper's width (the profile's, as
    python-escpos has it); python-escpos itself loads where paper comes out: the real printer's
    print, or the fake printer's ESC/POS bytes when a test or a trainer reads them, which are
    then the bytes of the printed image."""
    loaded = loaded_after(f"""
        import sys
        from PIL import Image
        from drivers.printer.escpos_adapter import EscposPrinter, encode_image
        from kiosk import create_app
        from kiosk.services.printing import ReportPrinter
        from kiosk.services.report_render import render_receipt
        from kiosk.settings import Settings
        from kiosk.tps import SAMPLE_PROFILE
        settings = Settings.from_values(
            data_dir={str(tmp_path / "data")!r}, hardware="fake", training=True
        )
        app = create_app(settings, provision_from=SAMPLE_PROFILE)
        fake = app.extensions["kiosk"].devices.receipt_printer
        ReportPrinter(fake, None, True, {str(tmp_path)!r}).print("Laporan", ["baris"], "receipt")
        grey = Image.linear_gradient("L").resize((fake.width_px, 120))
        fake.print_image(grey, copies=2)
        real = EscposPrinter("tcp://127.0.0.1:9", "TM-T20II", 80)
        assert fake.width_px == real.width_px == 576
        assert "escpos" not in sys.modules, "loaded before a byte was read"
        report, copies = fake.jobs
        assert report.data.startswith(b"\\x1b@") and "escpos" in sys.modules
        assert copies.data == encode_image(grey, "TM-T20II", 80, 2)
        drawn = render_receipt("Laporan", ["baris"], 576, training=True)
        assert report.data == encode_image(drawn, "TM-T20II", 80)
        app.extensions["kiosk"].close()
    """)
    assert "escpos" in loaded


def test_the_digit_reader_loads_numpy_and_opencv_when_it_first_reads_a_cell() -> None:
    """kiosk.reader.digits can be imported by the web app's modules: numpy and OpenCV (tens
    of MB) come with the first cell read, not with the import."""
    loaded = loaded_after("""
        import sys
        from PIL import Image
        from kiosk.reader.digits import classify
        assert not {"numpy", "cv2"} & set(sys.modules), "loaded with the import"
        (reading,) = classify([Image.new("L", (60, 50), 240)])
        assert reading.label == "blank", reading
    """)
    assert {"numpy", "cv2", "kiosk.reader.cell_image"} <= loaded


def test_reading_a_sheets_title_loads_neither_pytesseract_nor_numpy() -> None:
    """The web app runs Tesseract itself to read a title. The self-test's pytesseract loads
    numpy when it is installed, so it is imported without it (~12 MB RSS), and numpy still
    imports for whoever needs it later."""
    loaded = loaded_after("""
        from PIL import Image
        from kiosk.chasil.identify import read_text
        assert read_text(Image.new("L", (300, 60), 255)).strip() == ""
    """)
    assert "pytesseract" not in loaded and not loaded & set(IMAGE_PROCESSING), sorted(loaded)
    after = loaded_after("""
        import sys
        from kiosk.chasil.identify import pytesseract_module
        assert pytesseract_module().get_tesseract_version()
        assert "numpy" not in sys.modules
        import numpy
    """)
    assert {"pytesseract", "numpy"} <= after
