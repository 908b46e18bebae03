"""One small exception tree, by cause: input, file, remote.

Every error carries two texts: `str(error)` is the English line for the log, `error.melding`
is the Dutch sentence shown to the user (in Excel, the CLI report, the master workbook).
"""

from __future__ import annotations


class PmiekError(Exception):
    """Base of all errors raised on purpose by pMIEK Monitor."""

    def __init__(self, log_message: str, melding: str | None = None) -> None:
        super().__init__(log_message)
        self.melding = melding or log_message


class InputError(PmiekError):
    """Something a person supplied is wrong: a command-line argument or a config value."""


class ConfigError(InputError):
    """A configuration value is missing or invalid; `key` names it."""

    def __init__(self, key: str, log_message: str, melding: str | None = None) -> None:
        super().__init__(f"config key {key!r}: {log_message}", melding or f"Instelling '{key}': {log_message}")
        self.key = key


class FileRefused(PmiekError):
    """A file cannot be read as a fiche: corrupt, foreign, encrypted, a bomb, empty."""

    def __init__(self, reason: str, log_message: str, melding: str) -> None:
        super().__init__(log_message, melding)
        self.reason = reason


class RemoteError(PmiekError):
    """A remote party (Graph, SMTP, the token endpoint) failed after the bounded retries."""

    def __init__(self, log_message: str, melding: str | None = None, status: int | None = None) -> None:
        super().__init__(log_message, melding or "De externe dienst gaf een fout; probeer het later opnieuw.")
        self.status = status
