"""Keep the server's file system out of what clients read.

Failure messages, API error messages and job reports are read by API clients, who must not
learn where the server keeps its data (data dir, work dir, /tmp, a home directory): every
absolute path in them is replaced by the file's base name, which is all a client can act on
("audio.wav: Invalid data found").

A path is recognised where a token starts with "/" (or "file:///"), or inside quotes, which
may hold spaces. URLs are left alone (their path follows a host, not a token start), and so
are the API's own routes ("/v3/...") that help texts point clients to.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

# Characters that end a bare path: whitespace, quotes, brackets and list punctuation.
_STOP = r"""\s'"`<>()\[\]{},;|"""
# A token start: the text's start, or after whitespace, an opening quote/bracket, "=" or ",".
# Not after ":" or a word character: "https://host/a.mp4" is a URL, "24/7" is not a path.
_TOKEN_START = r"""(?<![^\s'"`(\[{<=,;])"""
# API routes such as /v3/video-translations/languages are help, not server paths.
_NOT_API_ROUTE = r"(?!v\d+(?:/|\b))"
_QUOTED = re.compile(rf"""(?P<q>['"])(?:file://)?/{_NOT_API_ROUTE}(?P<path>[^'"\n]+)(?P=q)""")
_BARE = re.compile(rf"{_TOKEN_START}(?:file://)?/{_NOT_API_ROUTE}(?P<path>[^{_STOP}]+)")


def _base_name(path: str) -> str:
    # "/data/work/x/audio.wav:" keeps its trailing ":" (part of the sentence, not the name).
    trailing = path[len(path.rstrip(".:")) :]
    name = posixpath.basename(path.rstrip(".:").rstrip("/"))
    return (name or "…") + trailing


def scrub_paths(text: str) -> str:
    """`text` with every absolute file path replaced by its base name.

    >>> scrub_paths("cannot decode /srv/polydub/work/ab12/source.mp4: no audio")
    'cannot decode source.mp4: no audio'
    """
    if "/" not in text:
        return text
    if "'/" in text or '"/' in text or "'file:///" in text or '"file:///' in text:
        text = _QUOTED.sub(lambda m: m["q"] + _base_name(m["path"]) + m["q"], text)
    return _BARE.sub(lambda m: _base_name(m["path"]), text)


def scrub_strings(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with scrub_paths applied
    to every string in it, keys included."""
    if isinstance(value, str):
        return scrub_paths(value)
    if isinstance(value, dict):
        return {scrub_strings(k): scrub_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_strings(item) for item in value]
    return value


def server_paths_in(value: Any, where: str = "") -> list[str]:
    """Where (dotted keys) a JSON-like value still holds an absolute path; empty when none.

    The check behind the guarantee that a report a client reads names no server path.
    """
    if isinstance(value, str):
        return [where or "."] if scrub_paths(value) != value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += server_paths_in(key, f"{where}.{key}[key]".lstrip("."))
            found += server_paths_in(item, f"{where}.{key}".lstrip("."))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += server_paths_in(item, f"{where}.{index}".lstrip("."))
    return found
