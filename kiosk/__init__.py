"""TPS Kiosk: the local Flask app of a polling-station kiosk. Build it with ``create_app``."""

from __future__ import annotations

from kiosk.app import create_app

__all__ = ["create_app"]
__version__ = "0.1.0"
