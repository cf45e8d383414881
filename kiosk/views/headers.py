"""Security headers on every response the kiosk sends.

The kiosk browser only ever loads the kiosk itself: scripts, styles and images come from
``kiosk/static`` and the kiosk's own routes, never inline and never from another origin, so a
string that slipped into a page (an officer's name, a profile field) can never run as code.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

# Every fetch directive falls back to default-src; the others do not, so they are listed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
