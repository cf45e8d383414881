"""Why the TPS day's checklist, incidents or reports say no: one code each, one wording each.

The wording reuses the English msgids the checklist screen always showed, so the Bahasa
Indonesia text is unchanged. Parameters fill the wording: ``time`` (HH:MM and zone), ``steps``
(titles joined by "; "), ``n`` (minutes late), ``ballots`` (ballot types joined by ", "); the
opening count's warning ``expected``, ``dpt``, ``reserve`` (percent, as shown) and
``field``/``fields`` (the first ballot type off, and all of them joined by " ").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kiosk.refusals import RefusalCode, wording


class ChecklistCode(RefusalCode):
    TOO_EARLY = "too_early"  # params: time
    PHASE_LOCKED = "phase_locked"
    ALREADY_DONE = "already_done"
    STEPS_MISSING = "steps_missing"  # params: steps
    REASON_NEEDED = "reason_needed"  # params: n (minutes late)
    KETUA_ONLY = "ketua_only"
    NUMBERS_MISSING = "numbers_missing"
    NOT_A_NUMBER = "not_a_number"
    TEXT_MISSING = "text_missing"
    SCAN_MISSING = "scan_missing"
    CHASIL_MISSING = "chasil_missing"  # params: ballots
    BAD_TIME = "bad_time"
    CLOCK_IMPLAUSIBLE = "clock_implausible"
    INCIDENT_EMPTY = "incident_empty"  # an incident without text, or of an unknown kind
    # A warning, not a rule: saved anyway when the officer says so (accept_warning).
    RECEIVED_UNEXPECTED = "received_unexpected"  # params: field, fields, expected, dpt, reserve
    NOT_CORRECTABLE = "not_correctable"  # a tick, sign-off, clock or scan: nothing to change
    NOT_RECORDED = "not_recorded"  # a correction of a step nobody recorded yet
    SIGNED_KETUA_ONLY = "signed_ketua_only"  # the phase is signed off: only the Ketua changes it
    CORRECTION_REASON_NEEDED = "correction_reason_needed"  # signed off: a change needs a reason


CHECKLIST_WORDING = wording(
    ChecklistCode,
    {
        ChecklistCode.TOO_EARLY: _l("Not yet: this step opens at %(time)s."),
        ChecklistCode.PHASE_LOCKED: _l("The Ketua KPPS must sign off the previous phase first."),
        ChecklistCode.ALREADY_DONE: _l("This step is already recorded."),
        ChecklistCode.STEPS_MISSING: _l("Finish these steps first: %(steps)s"),
        ChecklistCode.REASON_NEEDED: _l(
            "This is %(n)d minutes late: write the reason, then record it again."
        ),
        ChecklistCode.KETUA_ONLY: _l("Only the Ketua KPPS can do this step."),
        ChecklistCode.NUMBERS_MISSING: _l("Enter a number for every ballot type."),
        ChecklistCode.NOT_A_NUMBER: _l("Enter whole numbers only."),
        ChecklistCode.TEXT_MISSING: _l("Write the note first."),
        ChecklistCode.SCAN_MISSING: _l("Scan the page first."),
        ChecklistCode.CHASIL_MISSING: _l(
            "Counting is not finished: confirm the C.Hasil numbers and make the signed "
            "document of %(ballots)s first."
        ),
        ChecklistCode.BAD_TIME: _l("Enter the time as four digits, e.g. 0705 for 07:05."),
        ChecklistCode.CLOCK_IMPLAUSIBLE: _l(
            "The kiosk's clock looks wrong: set the right time instead of confirming it."
        ),
        ChecklistCode.INCIDENT_EMPTY: _l("Write what happened, then save."),
        ChecklistCode.RECEIVED_UNEXPECTED: _l(
            "About %(expected)d expected (DPT %(dpt)d + reserve %(reserve)s %%). Check again, "
            "or save if it really is so."
        ),
        ChecklistCode.NOT_CORRECTABLE: _l("This step has nothing to change."),
        ChecklistCode.NOT_RECORDED: _l("This step is not recorded yet: record it first."),
        ChecklistCode.SIGNED_KETUA_ONLY: _l(
            "This phase is signed off: only the Ketua KPPS can change it, with a reason."
        ),
        ChecklistCode.CORRECTION_REASON_NEEDED: _l(
            "This phase is signed off: write the reason for the change, then save."
        ),
    },
)
