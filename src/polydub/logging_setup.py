"""How the entrypoints (serve, worker, the CLI) configure logging: text or JSON lines, each
with the request id of the work it is about, and no start-up noise from libraries.

Library modules only get named loggers; this is the one place that installs handlers.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from polydub.request_ids import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Loggers that narrate their own start-up at INFO: alembic's migration context, TensorFlow
# Lite's absl. An operator wants them only when debugging.
NOISY_LOGGERS = ("alembic", "absl", "numba", "matplotlib", "httpx", "botocore", "urllib3")
# Fields of a LogRecord that are not "extra" values passed by the caller.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or "-") to every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str | int = "info", fmt: str = "text") -> logging.Handler:
    """Send every log record to stderr as text or JSON (`fmt`), at `level` and above.

    Replaces handlers an earlier call installed, so it is safe to call again. Returns the
    handler (tests read its records).
    """
    if isinstance(level, str):
        level = getattr(logging, level.upper(), logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_polydub", False)]:
        root.removeHandler(old)
    handler._polydub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries(level)
    return handler


def quiet_libraries(level: int = logging.INFO) -> None:
    """Keep libraries' INFO chatter out of the log unless debugging."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.WARNING)
