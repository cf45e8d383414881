"""Why the trainer's panel refuses: one code per reason, worded for the trainer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kiosk.refusals import RefusalCode, wording


class TrainingCode(RefusalCode):
    NOT_TRAINING = "not_training"  # not in training mode, a real device, or no TPS profile
    FAULT_UNAVAILABLE = "fault_unavailable"  # params: device (real, or configured "none")
    SCENARIO_UNAVAILABLE = "scenario_unavailable"  # params: reason (the profile cannot show it)
    REAL_DOCUMENTS_KEPT = "real_documents_kept"  # params: count (documents made outside training)
    BAD_TIME = "bad_time"  # the trainer clock's time is not HH:MM


TRAINING_WORDING = wording(
    TrainingCode,
    {
        TrainingCode.NOT_TRAINING: _l("The trainer role works only in training mode."),
        TrainingCode.FAULT_UNAVAILABLE: _l("This device is not simulated on this kiosk."),
        TrainingCode.SCENARIO_UNAVAILABLE: _l("This scenario does not fit this TPS profile."),
        TrainingCode.REAL_DOCUMENTS_KEPT: _l(
            "Reset refused: this kiosk holds documents made outside training."
        ),
        TrainingCode.BAD_TIME: _l("Enter the time as four digits, e.g. 0705 for 07:05."),
    },
)
