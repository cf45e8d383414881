"""One refusal shape for every feature: a code from the feature's enum, with parameters.

A service that cannot do what it was asked raises ``Refused(code, **params)``. Each feature
declares its codes as an enum (``class ChasilCode(RefusalCode)``) and, beside it, one wording
table (``wording(ChasilCode, {...})``) of English msgids that the catalogue translates to Bahasa
Indonesia. Views show ``exc.message()``; nothing guesses a reason or matches a bare string, and
a test checks that every code of every feature has wording in both languages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

from kiosk.lazy_text import LazyString  # not flask_babel's: the worker loads no Flask
from kiosk.lazy_text import lazy_gettext as _l


class RefusalCode(enum.Enum):
    """Base of every feature's refusal codes (values are stable strings, safe to store)."""


C = TypeVar("C", bound="RefusalCode")

_TABLES: dict[type[RefusalCode], Mapping[RefusalCode, LazyString]] = {}


def wording(codes: type[C], table: Mapping[C, LazyString]) -> Mapping[C, LazyString]:
    """Register the wording of a feature's codes; every code must have one (checked here, at
    import, and by the tests)."""
    missing = [c.name for c in codes if c not in table]
    assert not missing, f"{codes.__name__}: no wording for {missing}"
    _TABLES[codes] = table  # type: ignore[assignment]  # keyed by its own enum
    return table


def tables() -> dict[type[RefusalCode], Mapping[RefusalCode, LazyString]]:
    """Every registered wording table (for the tests)."""
    return dict(_TABLES)


class Refused(Exception):
    """What a service raises when the rules say no; ``code`` says why, ``params`` fill the
    wording (numbers, times, names)."""

    def __init__(self, code: RefusalCode, **params: object) -> None:
        super().__init__(f"{code.__class__.__name__}.{code.name} {params or ''}".strip())
        self.code = code
        self.params = params

    def message(self) -> str:
        """The operator's sentence in the current language: what happened, what to do next."""
        table = _TABLES.get(type(self.code))
        assert table is not None, f"{type(self.code).__name__} has no wording table"
        return str(table[self.code]) % self.params if self.params else str(table[self.code])


class KioskCode(RefusalCode):
    """Refusals shared by every feature."""

    NOT_PROVISIONED = "not_provisioned"  # no TPS profile installed yet
    UNKNOWN_BALLOT = "unknown_ballot"  # params: ballot


KIOSK_WORDING = wording(
    KioskCode,
    {
        KioskCode.NOT_PROVISIONED: _l(
            "This kiosk has no TPS profile yet. Call the technician to provision it."
        ),
        KioskCode.UNKNOWN_BALLOT: _l("Unknown ballot type %(ballot)s."),
    },
)
