"""Read handwritten digit cells: "0".."9", "X" (an unused leading cell crossed out) or blank.

The advisory third reader of issue 18 reads each digit cell of a registered scan with this. A
cell is a grey crop (PIL image or numpy array) of one cell as cut from a 200-300 dpi scan: the
box's rectangle split into ``cells`` equal widths (kiosk.forms). ``classify`` keeps the top
three readings of each cell with their probabilities, so a sheet can be decoded later as the
most likely reading that satisfies the C.Hasil's arithmetic.

The model (``digits_model.npz`` beside this file) is three small multilayer perceptrons on the
features of kiosk.reader.cell_image, made by ``scripts/train-digits`` from OpenCV's digits.png
(MNIST glyphs, Debian's opencv-doc, half the 1s given the Indonesian flag) and synthetic "X",
blank and pen-drawn 1 and 7 cells; its softmax is temperature-scaled on validation cells, so
probabilities are calibrated enough to rank readings.
Inference is numpy only (one matrix product per layer); OpenCV normalises the cells. Both are
imported on the first ``classify``, never with this module: the web app does not pay for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

LABELS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "blank")
MODEL_PATH = Path(__file__).with_name("digits_model.npz")
TOP = 3
_ARRAYS = ("w1", "b1", "w2", "b2", "mean", "std", "temperature", "labels", "feature_version")


class ModelError(Exception):
    """The digit model file is missing or is not a model this code can use."""


@dataclass(frozen=True)
class CellReading:
    """The best readings of one cell, most likely first: (label, probability) pairs."""

    top: tuple[tuple[str, float], ...]

    @property
    def label(self) -> str:
        return self.top[0][0]

    @property
    def probability(self) -> float:
        return self.top[0][1]


@dataclass(frozen=True)
class DigitModel:
    """The loaded weights of K member networks (features -> standardised -> ReLU layer ->
    logits over LABELS; the members' logits averaged, then a softmax at ``temperature``)."""

    w1: NDArray[np.float32]
    b1: NDArray[np.float32]
    w2: NDArray[np.float32]
    b2: NDArray[np.float32]
    mean: NDArray[np.float32]
    std: NDArray[np.float32]
    temperature: float
    source: Path

    def probabilities(self, feats: NDArray[np.float32]) -> NDArray[np.float32]:
        """Calibrated class probabilities, one row per feature row."""
        import numpy as np

        return np.asarray(softmax_scores(self, feats, self.temperature), dtype=np.float32)


def softmax_scores(model: DigitModel, feats: Any, temperature: float) -> Any:
    """The network's softmax at ``temperature`` (the training script calibrates with it)."""
    import numpy as np

    x = (feats - model.mean) / model.std
    # Each member network: (K, n_in, H) weights; the members' logits are averaged.
    hidden = np.maximum(np.einsum("ni,kih->knh", x, model.w1) + model.b1[:, None, :], 0)
    logits = (np.einsum("knh,khc->knc", hidden, model.w2) + model.b2[:, None, :]).mean(0)
    logits = logits / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def load_model(path: Path = MODEL_PATH) -> DigitModel:
    """Load and check a model file; ``ModelError`` says what is wrong with it."""
    import numpy as np

    from kiosk.reader.cell_image import FEATURE_VERSION

    if not path.is_file():
        raise ModelError(f"digit model {path} is missing: run scripts/train-digits")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in _ARRAYS if name not in data.files]
            if missing:
                raise ModelError(f"digit model {path} lacks {', '.join(missing)}")
            arrays = {name: data[name] for name in _ARRAYS}
    except ModelError:
        raise
    except Exception as exc:  # zip/npy parse errors come in many kinds
        raise ModelError(f"digit model {path} is not a readable .npz file: {exc}") from exc
    if tuple(str(s) for s in arrays["labels"]) != LABELS:
        raise ModelError(f"digit model {path} has labels {list(arrays['labels'])}, not {LABELS}")
    if str(arrays["feature_version"]) != FEATURE_VERSION:
        raise ModelError(
            f"digit model {path} was trained on features {arrays['feature_version']!s}, "
            f"this code makes {FEATURE_VERSION}: run scripts/train-digits"
        )
    w1, b1, w2, b2 = (arrays[n].astype(np.float32) for n in ("w1", "b1", "w2", "b2"))
    mean, std = arrays["mean"].astype(np.float32), arrays["std"].astype(np.float32)
    members, n_in, n_hidden = w1.shape if w1.ndim == 3 else (0, 0, 0)
    if (
        n_in == 0
        or b1.shape != (members, n_hidden)
        or w2.shape != (members, n_hidden, len(LABELS))
        or b2.shape != (members, len(LABELS))
        or mean.shape != (n_in,)
        or std.shape != (n_in,)
        or not (std > 0).all()
    ):
        raise ModelError(f"digit model {path} has inconsistent array shapes")
    temperature = float(arrays["temperature"])
    if not temperature > 0:
        raise ModelError(f"digit model {path} has temperature {temperature}")
    return DigitModel(w1, b1, w2, b2, mean, std, temperature, path)


_loaded: dict[Path, DigitModel] = {}
_lock = threading.Lock()


def model(path: Path = MODEL_PATH) -> DigitModel:
    """The model at ``path``, loaded once per process."""
    with _lock:
        if path not in _loaded:
            _loaded[path] = load_model(path)
            log.info("digit model loaded from %s", path)
        return _loaded[path]


def classify(cells: Sequence[Any], model_path: Path = MODEL_PATH) -> list[CellReading]:
    """The top ``TOP`` readings of each cell (grey crops, PIL images or numpy arrays)."""
    from kiosk.reader.cell_image import cell_features

    if not cells:
        return []
    digit_model = model(model_path)
    probs = digit_model.probabilities(cell_features(list(cells)))
    readings = []
    for row in probs:
        order = row.argsort()[::-1][:TOP]
        readings.append(CellReading(tuple((LABELS[i], float(row[i])) for i in order)))
    return readings
