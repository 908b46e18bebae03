"""The JSON form of what the store keeps in text columns: dates and times tagged so they come
back as dates (`{"$date": "2031-03-31"}`), enums by their value. Standard library only, so a
reader process (`sync.leesploeg`) can encode a verdict without loading the database layer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def json_waarde(value: Any) -> Any:
    """A value JSON has no form for, in the form the store writes: tagged dates, enum values."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if hasattr(value, "value") and isinstance(value.value, str):  # enums (Stoplicht)
        return value.value
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _json_hook(obj: dict) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, default=json_waarde, ensure_ascii=False)


def loads(text_: str | None) -> Any:
    return None if text_ is None else json.loads(text_, object_hook=_json_hook)
