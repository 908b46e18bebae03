"""Structured, English log lines (`key=value`) to stderr, shared by every command and the service."""

from __future__ import annotations

import logging
import os
import sys


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = (f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} level={record.levelname.lower()} "
                f"logger={record.name} msg=\"{record.getMessage()}\"")
        extra = getattr(record, "fields", None)
        if extra:
            base += "".join(f" {k}={v!r}" for k, v in extra.items())
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return base


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at emit time: a caller that swaps stderr (pytest's capture,
    an embedding tool) must not leave the handler writing to a closed stream."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class _AlleenOnverwacht(logging.Filter):
    """The default at a terminal command: the Dutch message printed by `pmiek.cli` says all the user
    needs, so the English line about the same error would only be noise in front of it. What stays
    is an unexpected failure's traceback (the Dutch message then says "zie het logbestand")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.CRITICAL or bool(record.exc_info)


def setup_logging(verbose: bool = False, service: bool = True) -> None:
    """`verbose` (`-v`): everything from DEBUG. Otherwise `PMIEK_LOG_LEVEL` when set (the service's
    unit files set INFO); without it the service logs from WARNING, and a one-off command (`service`
    False) shows no structured lines at all unless something unexpected failed."""
    gevraagd = os.environ.get("PMIEK_LOG_LEVEL", "").strip()
    level = logging.DEBUG if verbose else getattr(logging, (gevraagd or "WARNING").upper(), logging.WARNING)
    stil = not verbose and not gevraagd and not service
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_pmiek", False)), None)
    if handler is None:
        handler = _CurrentStderrHandler()
        handler.setFormatter(KeyValueFormatter())
        handler._pmiek = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for f in [f for f in handler.filters if isinstance(f, _AlleenOnverwacht)]:
        handler.removeFilter(f)
    if stil:
        handler.addFilter(_AlleenOnverwacht())
    root.setLevel(level)
