"""Per-TPS provisioning for a whole city's kiosks: signed provisioning files made in one batch
from a spreadsheet, written onto flashed SD cards, and installed by the kiosk on first boot.

See README.md in this folder for the technician's workflow, the CSV columns and the file format.
"""
