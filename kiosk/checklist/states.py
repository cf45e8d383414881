"""Where a step of the TPS day stands, as the screens and the reports read it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.checklist.model import Checklist, Phase, Step


@dataclass(frozen=True)
class StepState:
    step: Step
    status: str  # done | open | waiting (a time) | locked (an earlier phase)
    record: dict[str, Any] | None = None

    @property
    def value(self) -> Any:
        return json.loads(self.record["value"]) if self.record else None

    @property
    def shown(self) -> str:
        """The recorded value as a person reads it ("" for a tick): numbers per ballot as
        ``PPWP 285 · DPR 285``, a scan by the start of its SHA-256."""
        value = self.value
        if value is True or value is None:
            return ""
        if isinstance(value, dict) and "sha256" in value:
            return "#" + str(value["sha256"])[:12].upper()
        if isinstance(value, dict):
            return " · ".join(f"{k} {v}" for k, v in value.items())
        return str(value)


@dataclass(frozen=True)
class PhaseState:
    phase: Phase
    status: str  # done | open | locked
    steps: tuple[StepState, ...]


@dataclass(frozen=True)
class StepPlace:
    """One step in its phase: "Langkah ``number`` dari ``len(phase.steps)``"."""

    phase: PhaseState
    state: StepState
    number: int  # 1-based, within the phase

    @property
    def total(self) -> int:
        return len(self.phase.steps)

    @property
    def signed(self) -> bool:
        """The phase is signed off: a change now needs the Ketua and a reason."""
        return self.phase.steps[-1].status == "done"


def phase_states(
    checklist: Checklist, records: Mapping[str, dict[str, Any]], now: dt.time
) -> list[PhaseState]:
    """Every phase and step of ``checklist`` as it stands with ``records`` (step id -> its
    record) at ``now``: a phase opens when the one before it is signed off (its last step)."""
    out: list[PhaseState] = []
    previous_done = True
    for phase in checklist.phases:
        steps = []
        for step in phase.steps:
            if step.id in records:
                status = "done"
            elif not previous_done:
                status = "locked"
            elif step.not_before is not None and now < step.not_before:
                status = "waiting"
            else:
                status = "open"
            steps.append(StepState(step, status, records.get(step.id)))
        done = phase.steps[-1].id in records
        out.append(
            PhaseState(
                phase, "done" if done else "open" if previous_done else "locked", tuple(steps)
            )
        )
        previous_done = done
    return out
