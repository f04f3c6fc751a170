"""Errors the user can act on, each with the HeyGen error code the API answers with."""

from __future__ import annotations


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


class EngineError(PolydubError):
    """A model or external tool failed while processing valid input."""

    code = "engine_error"
    http_status = 500


class JobCancelled(PolydubError):
    """The job was cancelled; raised between stages and inside long ones (polydub.cancellation)."""

    code = "cancelled"
    http_status = 409
