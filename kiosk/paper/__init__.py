"""What the paper child (kiosk.render_worker) runs: A4 PDFs (reports, copies, the distribution
receipt) and the signed document's PDF of scanned pages.

These modules import only the standard library and the paper libraries (Pillow, img2pdf,
pypdf, fpdf2, qrcode; the last four lazily), and take plain values (text, bytes, paths): the
child unpickles a function by importing its module and its arguments' classes by importing
theirs, so a function of kiosk.chasil or kiosk.services would bring Flask, the profile and the
audit log into a process that only makes paper (tests/unit/test_lazy_imports.py holds this).
"""
