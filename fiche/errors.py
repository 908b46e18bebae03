"""The one exception tree of pMIEK Monitor, by cause: input, configuration, file, remote.

    PmiekError
    |- InputError      something a person typed or a fiche holds is wrong (a CLI argument, a date)
    |- ConfigError     a configuration value is missing or invalid; `key` names it
    |- FileError       a file cannot be read or written (FileRefused: not readable as a fiche)
    '- RemoteError     a remote party (Graph, SMTP, the token endpoint) failed
       '- TijdelijkeFout  refused for now, nothing happened there: worth retrying

Every error carries two texts: `str(error)` is the English line for the log, `error.melding`
is the Dutch sentence shown to the user (in Excel, the CLI report, the master workbook).
Modules raise from this tree (or a subclass of it), never a bare `ValueError` with Dutch text.

Standard library only: this module is bundled into xlwings Lite, which runs in Pyodide.
"""

from __future__ import annotations


class PmiekError(Exception):
    """Base of all errors raised on purpose by pMIEK Monitor."""

    def __init__(self, log_message: str, melding: str | None = None) -> None:
        super().__init__(log_message)
        self.melding = melding or log_message


class InputError(PmiekError):
    """Something a person supplied is wrong: a command-line argument, a value in a fiche."""


class ConfigError(PmiekError):
    """A configuration value is missing or invalid; `key` names it."""

    def __init__(self, key: str, log_message: str, melding: str | None = None) -> None:
        melding = melding or log_message
        # The operator edits that line of the config: every message names it the same way.
        if not key.startswith("(") and not melding.startswith("Instelling '"):
            melding = f"Instelling '{key}': {melding[:1].lower()}{melding[1:]}"
        super().__init__(f"config key {key!r}: {log_message}", melding)
        self.key = key


class FileError(PmiekError):
    """A file cannot be read or written (the master workbook, an outbox, a fiche)."""


class FileRefused(FileError):
    """A file cannot be read as a fiche: corrupt, foreign, encrypted, a bomb, empty."""

    def __init__(self, reason: str, log_message: str, melding: str) -> None:
        super().__init__(log_message, melding)
        self.reason = reason


class RemoteError(PmiekError):
    """A remote party (Graph, SMTP, the token endpoint) failed after the bounded retries."""

    def __init__(self, log_message: str, melding: str | None = None, status: int | None = None) -> None:
        super().__init__(log_message, melding or "De externe dienst gaf een fout; probeer het later opnieuw.")
        self.status = status


class TijdelijkeFout(RemoteError):
    """Refused for now (throttled, unavailable, no connection): nothing happened on the other side,
    so trying again is safe. `wacht` is the server's Retry-After in seconds, when it gave one."""

    def __init__(self, log_message: str, melding: str | None = None, status: int | None = None,
                 wacht: float | None = None) -> None:
        super().__init__(log_message, melding, status)
        self.wacht = wacht


_OORZAKEN = {
    "ENOENT": "bestaat niet",
    "EACCES": "geen toegang",
    "EPERM": "geen toegang",
    "EEXIST": "er staat al een bestand met die naam",
    "ENOTDIR": "een deel van het pad is een bestand, geen map",
    "EISDIR": "is een map",
    "ENOSPC": "de schijf is vol",
    "EDQUOT": "de schijfruimte (quota) is op",
    "EROFS": "de schijf is alleen-lezen",
    "ENAMETOOLONG": "de naam is te lang",
    "EBUSY": "het bestand is in gebruik",
}


def oorzaak_nl(exc: OSError) -> str:
    """The cause of a file-system error in Dutch, for messages where `strerror` would be English."""
    import errno

    naam = errno.errorcode.get(exc.errno or -1, "")
    if naam in _OORZAKEN:
        return _OORZAKEN[naam]
    if isinstance(exc, PermissionError):
        return "geen toegang"
    return f"systeemfout {naam or exc.errno}".strip() if (naam or exc.errno) else "onbekende systeemfout"
