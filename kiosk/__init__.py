"""TPS Kiosk: the local Flask app of a polling-station kiosk. Build it with ``create_app``.

``create_app`` is imported on first use, so the programs that live in this package but are not
the web app (the collector, the fleet tool) never load it (tests/unit/test_tool_imports.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import create_app

__all__ = ["create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from kiosk.app import create_app

        return create_app
    raise AttributeError(f"module 'kiosk' has no attribute {name!r}")
