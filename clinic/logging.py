"""Log formatting that keeps health data out of the logs.

Database errors carry row values: PostgreSQL adds "DETAIL:  Failing row
contains (…)" (the whole row: names, pain scores) or "Key (email)=(…)" to the
message, and the SQL debug log interpolates query parameters. The formatter
keeps what is needed to find a bug (logger, level, message, exception type and
every traceback frame) and replaces those values before anything is written.
It never prints the request a record carries (Django's django.request records
hold the whole HttpRequest, body included).
"""

from __future__ import annotations

import logging
import re
import traceback

HIDDEN = "[hidden]"

# Lines PostgreSQL appends to a message; each can quote row or query values. Also
# matched inside one line, with no word boundary: in an exception's repr (a
# Celery failure message) the line break is the two characters backslash and n.
_DETAIL = re.compile(r"(DETAIL|HINT|CONTEXT|LINE \d+|QUERY|WHERE):[^\n]*")
_FAILING_ROW = re.compile(r"Failing row contains \([^\n]*")
_KEY_VALUES = re.compile(r"(Key \(.*?\))=\([^\n]*")
# Django's SQL debug lines: "…; args=(…); alias=default" and "…; (params […])".
_SQL_ARGS = re.compile(r"(;\s*args=|;\s*\(params\s)[^\n]*")
# A quoted value after a colon ("invalid input syntax for type integer: "Alma"",
# "invalid literal for int() with base 10: 'Alma'") or Django's "but got 'Alma'".
_QUOTED_VALUE = re.compile(r"(:\s*|\bgot\s+)([\"']).*?\2")

_DATABASE_MODULES = ("django.db", "psycopg", "psycopg2", "sqlite3")


def scrub_text(text: str) -> str:
    """Remove database row, key and parameter values from any text (messages, exception reprs)."""
    text = _DETAIL.sub(lambda m: f"{m.group(1)}: {HIDDEN}", text)
    text = _FAILING_ROW.sub(f"Failing row contains {HIDDEN}", text)
    text = _KEY_VALUES.sub(lambda m: f"{m.group(1)}={HIDDEN}", text)
    return _SQL_ARGS.sub(lambda m: f"{m.group(1)}{HIDDEN}", text)


def is_database_error(exc: BaseException) -> bool:
    """Errors raised by Django's database layer (ORM included) or a driver (psycopg, sqlite3)."""
    return any((cls.__module__ or "").startswith(_DATABASE_MODULES) for cls in type(exc).__mro__)


def exception_message(exc: BaseException) -> str:
    """An exception's message without values; database errors keep only their first line.

    The first line says what failed and which constraint; the rest is the row.
    Only a string first argument is used, since the other arguments can be
    model instances (ProtectedError lists the objects, named by their __str__).
    """
    if is_database_error(exc):
        text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        lines = text.strip().splitlines()
        text = lines[0] if lines else ""
    else:
        text = str(exc)
    return scrub_text(_QUOTED_VALUE.sub(lambda m: f"{m.group(1)}{HIDDEN}", text))


def _exception_line(exc: BaseException) -> str:
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ in ("builtins", "__main__") else f"{cls.__module__}.{cls.__qualname__}"
    message = exception_message(exc)
    line = f"{name}: {message}" if message else name
    for note in getattr(exc, "__notes__", None) or ():
        line += "\n" + scrub_text(str(note))
    return line


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_exception(exc: BaseException) -> str:
    """Like traceback.format_exception (frames, chained causes) with scrubbed messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    # Walk from the raised exception back through its causes, then print oldest first.
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        block = ""
        if current.__traceback__ is not None:
            block = "Traceback (most recent call last):\n" + "".join(traceback.format_tb(current.__traceback__))
        parts.append(block + _exception_line(current) + "\n" + link)
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    return "".join(reversed(parts)).rstrip("\n")


def record_message(record: logging.LogRecord) -> str:
    """A record's message with database values hidden."""
    if record.name.startswith("django.db.backends") and hasattr(record, "sql"):
        # Django's SQL log interpolates the query parameters into the SQL itself.
        duration = getattr(record, "duration", None)
        timing = f" in {duration:.3f}s" if isinstance(duration, (int, float)) else ""
        return f"SQL query{timing} (statement and parameters {HIDDEN})"
    return scrub_text(record.getMessage())


class ScrubbingFormatter(logging.Formatter):
    """A plain formatter whose messages and tracebacks never carry database values.

    It formats from the record's exception itself rather than `record.exc_text`,
    which another handler may have cached unscrubbed, and it leaves the record
    untouched for other handlers. It prints only its format's fields, so a
    record's `request` (and with it the request body) never reaches the log.
    """

    def format(self, record: logging.LogRecord) -> str:
        original = record.__dict__.copy()
        try:
            record.message = record_message(record)
            if self.usesTime():
                record.asctime = self.formatTime(record, self.datefmt)
            text = self.formatMessage(record)
            if record.exc_info and record.exc_info[1] is not None:
                text += "\n" + format_exception(record.exc_info[1])
            elif record.exc_text:
                text += "\n" + scrub_text(record.exc_text)
            if record.stack_info:
                text += "\n" + self.formatStack(record.stack_info)
            return scrub_text(text)
        finally:
            record.__dict__.clear()
            record.__dict__.update(original)

    def formatException(self, ei) -> str:  # noqa: N802 - the logging API's name
        return format_exception(ei[1]) if ei and ei[1] is not None else ""


class ScrubbingFilter(logging.Filter):
    """Scrubs records in place, for handlers whose formatter is not ours (Celery's task logger).

    A standard formatter prints `record.exc_text` when it is set, so filling it
    with the scrubbed traceback keeps the unscrubbed one out.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = record_message(record), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1])
        elif record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True


def _scrub_celery_handlers(logger=None, **_kwargs) -> None:
    """Celery gives its task logger (and, if it configures logging, the root) handlers of its own."""
    for handler in getattr(logger, "handlers", ()):
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(ScrubbingFilter())


try:
    from celery.signals import after_setup_logger, after_setup_task_logger
except ImportError:  # pragma: no cover - Celery is a dependency; this keeps the module usable alone
    pass
else:
    # Connected when Django configures logging, which a worker does before Celery sets up its loggers.
    after_setup_logger.connect(_scrub_celery_handlers, weak=False)
    after_setup_task_logger.connect(_scrub_celery_handlers, weak=False)
