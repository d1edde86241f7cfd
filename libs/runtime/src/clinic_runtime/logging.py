"""JSON logs, one line per event, with the request's context and no personal contact data.

Email addresses and phone numbers are masked wherever they appear (message, arguments,
exception text, extra fields), so a careless log call cannot leak them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from clinic_runtime import context, tracing

# As loose as the addresses the services accept (any script, any punctuation): a whole run of
# characters around an @, with a dot after it, up to a space or a delimiter that frames addresses
# in text. A match starts only where such a run starts, so each run is tried once: linear time.
_ADDRESS_CHARACTER = r"[^\s@\"<>()\[\],;]"
EMAIL = re.compile(rf"(?<!{_ADDRESS_CHARACTER}){_ADDRESS_CHARACTER}+@{_ADDRESS_CHARACTER}+\.{_ADDRESS_CHARACTER}+")
# International or national phone numbers: 8-15 digits with an optional +, an optional opening
# parenthesis, and up to two of space, dot, dash, slash or parenthesis between digits.
PHONE = re.compile(r"(?<![\w-])\+?\(?\d(?:[\s()./\-]{0,2}\d){7,14}(?![\w-])")
# PostgreSQL's detail of a refused statement quotes the key or the whole row it refused (an
# address, a patient's name), and a database error is logged whole: the detail line is dropped.
POSTGRES_DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)
# The rest of a URL up to where a match begins: a port there is no phone number.
IN_URL = re.compile(r"://[^\s]*:$")
UUID_LIKE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DIGIT = re.compile(r"\d")

# Record attributes that are not extra fields (uvicorn adds a colored copy of its message).
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


def redact(text: str) -> str:
    if "DETAIL:" in text:
        text = POSTGRES_DETAIL.sub("DETAIL:  [hidden]", text)
    # An email needs an @ and a phone number a digit: most lines (an access line's method and
    # route) have neither, and are left as they are without the passes below.
    if "@" not in text and DIGIT.search(text) is None:
        return text
    text = EMAIL.sub("[email]", text)
    # UUIDs are identifiers, not phone numbers: keep them readable.
    protected = {f"\x00{i}\x00": m for i, m in enumerate(UUID_LIKE.findall(text))}
    for token, value in protected.items():
        text = text.replace(value, token, 1)
    text = PHONE.sub(lambda m: m[0] if IN_URL.search(text, 0, m.start()) else "[phone]", text)
    for token, value in protected.items():
        text = text.replace(token, value)
    return text


# Built once: json.dumps(line, default=str) would build an encoder for every line.
_encode = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(context.log_fields())
        correlation = context.bound_correlation_id()
        if correlation:
            line["correlation_id"] = correlation
        trace_id = tracing.current_trace_id()
        if trace_id:
            line["trace_id"] = trace_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return _encode(line)


# Loggers kept to warnings: per-message chatter from the broker client would drown the events that
# matter, and Alembic announces each of its plugins when a process imports it.
QUIET_LOGGERS = ("aiormq", "aio_pika", "faststream.access", "uvicorn.access", "alembic.runtime.plugins")


def configure_logging(service: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
