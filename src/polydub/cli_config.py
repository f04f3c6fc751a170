"""`polydub config`: the settings in effect, as POLYDUB_* lines an env file could hold, with
secrets (and the passwords inside URLs) masked."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr

from polydub.config import Settings, env_name

MASK = "********"
# Not POLYDUB_* settings, but read from the environment by the S3 client.
OTHER_SECRETS = ("AWS_SECRET_ACCESS_KEY",)


def mask_url(url: str) -> str:
    """`url` with its password replaced by the mask (user and host stay readable)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = f"{parts.username or ''}:{MASK}@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def shown_value(value: object) -> str:
    """How a setting's value is printed: secrets masked, lists and dicts as JSON."""
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    if isinstance(value, list | dict):
        plain = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        return json.dumps(plain if isinstance(value, list) else value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def effective_settings(
    settings: Settings, environ: dict[str, str] | None = None
) -> list[tuple[str, str, bool]]:
    """(variable, shown value, set in the environment?) for every setting, in field order,
    then the database URL actually used and the S3 secret's presence."""
    environ = os.environ if environ is None else environ
    rows = [
        (env_name(field), shown_value(getattr(settings, field)), env_name(field) in environ)
        for field in type(settings).model_fields
    ]
    rows.append(("# database in use", mask_url(settings.resolved_database_url), False))
    for name in OTHER_SECRETS:
        if name in environ:
            rows.append((name, MASK, True))
    return rows


def format_settings(rows: list[tuple[str, str, bool]]) -> str:
    """One `NAME=value` line each; defaults are commented out whole (`# NAME=value`), so what
    the operator set stands out and the output is still a valid systemd EnvironmentFile."""
    lines = []
    for name, value, from_env in rows:
        if name.startswith("#"):
            lines.append(f"{name}: {value}")
        else:
            lines.append(f"{name}={value}" if from_env else f"# {name}={value}")
    return "\n".join(lines)
