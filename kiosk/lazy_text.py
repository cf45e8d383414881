"""Lazily translated messages that load Flask only when one is read.

The refusal and guidance tables, the profile checks and the device names are built when their
modules load, in every process; flask_babel's ``lazy_gettext`` would bring Flask, Jinja and
Babel (about 12 MB RSS) into the upload worker, which serves no page and reads none of them
unless it explains a failure. ``LazyString`` behaves as flask_babel's does (flask_babel 4,
``speaklater``): every string operation renders the message with ``flask_babel.gettext`` in the
locale of the moment. Message extraction is unchanged: modules import ``lazy_gettext as _l``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class LazyString:
    """A message rendered each time it is used as a string."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._func = func
        self._args = args
        self._kwargs = kwargs

    def __getattr__(self, attr: str) -> Any:
        if attr == "__setstate__":  # unpickling must not render (no _func yet)
            raise AttributeError(attr)
        string = str(self)
        if hasattr(string, attr):
            return getattr(string, attr)
        raise AttributeError(attr)

    def __repr__(self) -> str:
        return f"l'{self}'"

    def __str__(self) -> str:
        return str(self._func(*self._args, **self._kwargs))

    def __len__(self) -> int:
        return len(str(self))

    def __getitem__(self, key: Any) -> str:
        return str(self)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __contains__(self, item: str) -> bool:
        return item in str(self)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mul__(self, other: int) -> str:
        return str(self) * other

    def __rmul__(self, other: int) -> str:
        return other * str(self)

    def __lt__(self, other: object) -> bool:
        return str(self) < other  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        return str(self) <= other  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        return str(self) == other

    def __ne__(self, other: object) -> bool:
        return str(self) != other

    def __gt__(self, other: object) -> bool:
        return str(self) > other  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        return str(self) >= other  # type: ignore[operator]

    def __html__(self) -> str:
        return str(self)

    def __hash__(self) -> int:
        return hash(str(self))

    def __mod__(self, other: Any) -> str:
        return str(str(self) % other)

    def __rmod__(self, other: str) -> str:
        return other + str(self)  # as flask_babel's


def _gettext(string: str, **variables: Any) -> str:
    from flask_babel import gettext  # lazy: the point of this module

    return str(gettext(string, **variables))


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``flask_babel.lazy_gettext`` without loading Flask until the message is read."""
    return LazyString(_gettext, string, **variables)
