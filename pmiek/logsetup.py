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


def setup_logging(verbose: bool = False) -> None:
    gevraagd = os.environ.get("PMIEK_LOG_LEVEL", "WARNING").upper()
    level = logging.DEBUG if verbose else getattr(logging, gevraagd, logging.WARNING)
    root = logging.getLogger()
    if any(getattr(h, "_pmiek", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(KeyValueFormatter())
    handler._pmiek = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
