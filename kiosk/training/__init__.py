"""Training (bimtek) mode: the trainer's simulated faults, C.Hasil practice sheets and
"Reset latihan". Every entry point refuses to act on a kiosk that is not in training mode."""

from __future__ import annotations


class NotTraining(Exception):
    """A training-only action was asked of a kiosk that is not in training mode."""
