"""Who is logged in, the server-side role check every protected route goes through, and the one
guard that keeps a redirect on the kiosk."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l

from kiosk.errors import Action, Guidance
from kiosk.roles import PERMISSIONS, Permission
from kiosk.services import Services
from kiosk.services.auth import ActiveSession

F = TypeVar("F", bound=Callable[..., Any])

_DENIED = Guidance(
    _l("You may not do this"),
    _l("This is for another officer's role. Ask that officer to log in, then try again."),
    Action.CONTINUE,
)


def services() -> Services:
    """The kiosk's features for this request (built once by create_app)."""
    built: Services = current_app.extensions["services"]
    return built


def safe_local_path(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this kiosk, else ``fallback``: a form's "next" must never
    become an open redirect. Refused: anything not starting with one "/" ("//evil.com" and
    "/\\evil.com" are other hosts to a browser, which reads "\\" as "/"), any backslash,
    control character or scheme, also once percent-decoded ("/%5Cevil.com")."""
    if not target:
        return fallback
    for text in (target, unquote(target)):
        if (
            not text.startswith("/")
            or text.startswith("//")
            or "\\" in text
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)
            or urlsplit(text).scheme
            or urlsplit(text).netloc
        ):
            return fallback
    return target


def current_session() -> ActiveSession | None:
    login: ActiveSession | None = g.get("login")
    return login


def me() -> ActiveSession:
    """The officer of a request that ``@require`` let through."""
    login = current_session()
    assert login is not None, "me() in a view without @require"
    return login


def register(app: Flask) -> None:
    @app.before_request
    def load_login() -> None:
        g.login = services().auth.session(session.get("sid"))
        if g.login is None:
            session.pop("sid", None)

    @app.context_processor
    def inject_login() -> dict[str, object]:
        login = current_session()
        training = services().kiosk.training

        def may(permission: str) -> bool:
            return login is not None and login.may(Permission(permission), training)

        return {"me": login, "may": may}


def require(permission: Permission) -> Callable[[F], F]:
    """Refuse the route unless the logged-in officer's role holds ``permission``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            login = current_session()
            if login is None:
                if request.method == "GET":
                    return redirect(url_for("login.start", next=request.path))
                return render_template("guidance.html", guidance=_LOGIN_FIRST, retry_url=None), 401
            if not login.may(permission, services().kiosk.training):
                roles = ", ".join(r.label for r in PERMISSIONS[permission])
                return render_template(
                    "guidance.html", guidance=_DENIED, retry_url=None, allowed_roles=roles
                ), 403
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


_LOGIN_FIRST = Guidance(
    _l("Please log in first"),
    _l("Tap your card on the reader or choose your name, then enter your PIN."),
    Action.CONTINUE,
)
