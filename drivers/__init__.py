"""Hardware adapters for TPS Kiosk.

One small protocol per device (scanner, receipt printer, A4 printer, card reader, GPIO status
panel), a real adapter through the field's library and a fake adapter that ships for demo and
training. This package never imports Flask or ``kiosk``; vendor libraries (sane, escpos,
smartcard, cups, gpiozero) are imported lazily, each in exactly one module.
"""
