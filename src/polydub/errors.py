"""Errors the user can act on, each with the HeyGen error code the API answers with, and the
one text a client is told about a failed job (client_message)."""

from __future__ import annotations

from polydub.server_paths import scrub_paths

# A failure message is stored on the job row, listed and sent in webhooks: kept short.
MAX_CLIENT_MESSAGE = 1000


class PolydubError(Exception):
    """Base of all errors Polydub reports to users.

    `code` is HeyGen's machine-readable error code; `param` names the request field at fault.
    """

    code = "internal_error"
    http_status = 500

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidInputError(PolydubError):
    """The input media or a request value cannot be used (no audio, undecodable, bad range)."""

    code = "invalid_parameter"
    http_status = 400


class UnsupportedLanguageError(InvalidInputError):
    """No configured engine can serve a language pair; the message says what to configure."""


class NotFoundError(PolydubError):
    """A resource a request refers to does not exist (or belongs to another key)."""

    code = "not_found"
    http_status = 404


class NotReadyError(PolydubError):
    """A resource exists but cannot be used yet (an asset whose direct upload is not
    completed)."""

    code = "resource_not_ready"
    http_status = 409


class EngineError(PolydubError):
    """A model or external tool failed while processing valid input."""

    code = "engine_error"
    http_status = 500


class JobCancelled(PolydubError):
    """The job was cancelled; raised between stages and inside long ones (polydub.cancellation)."""

    code = "cancelled"
    http_status = 409


def client_message(exc: BaseException) -> str:
    """What a client is told about a job that failed with `exc`.

    A PolydubError's own message (it was written for the user), else "internal error while
    dubbing (TypeName: first line)": never a stack trace, and never a server path (each
    absolute path is replaced by the file's base name). At most MAX_CLIENT_MESSAGE characters.
    """
    if isinstance(exc, PolydubError):
        text = scrub_paths(exc.message)
    else:
        detail = str(exc).strip()
        # Scrubbed before it is cut: a cut path would no longer be recognised whole.
        first_line = scrub_paths(detail.splitlines()[0])[:300] if detail else ""
        suffix = f": {first_line}" if first_line else ""
        text = f"internal error while dubbing ({type(exc).__name__}{suffix})"
    if len(text) > MAX_CLIENT_MESSAGE:
        text = text[: MAX_CLIENT_MESSAGE - 1] + "…"
    return text
