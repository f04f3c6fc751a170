"""HeyGen's own v3 schemas (../shared/heygen/v3-endpoints.json), as validators for tests.

The file maps "METHOD /v3/path/{param}" to HeyGen's request and response JSON Schemas, written
in OpenAPI 3.0's dialect (`nullable`). Tests hold our requests and answers against them:

    check_response("GET /v3/video-translations/{video_translation_id}", body)
    check_request("POST /v3/voices/clone", payload)

Our answers may carry extra fields (Polydub's additions), so objects stay open; every field
HeyGen declares must have HeyGen's type where present, and required fields must be there.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

import jsonschema

REFERENCE = Path(__file__).parents[1].parent / "shared" / "heygen" / "v3-endpoints.json"

# In scope of the parity issue: everything but image search and voice design from a prompt.
OUT_OF_SCOPE = frozenset({"GET /v3/assets/search", "POST /v3/voices"})


@cache
def endpoints() -> dict[str, dict]:
    return json.loads(REFERENCE.read_text())


def endpoints_in_scope() -> list[str]:
    return sorted(key for key in endpoints() if key not in OUT_OF_SCOPE)


def _as_json_schema(schema):
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a null branch of the type."""
    if isinstance(schema, list):
        return [_as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _as_json_schema(value) for key, value in schema.items()}
    out.pop("discriminator", None)  # prose for code generators; oneOf already decides
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "oneOf" in out:
            out["oneOf"] = [*out["oneOf"], {"type": "null"}]
    return out


@cache
def _validator(endpoint: str, part: str) -> jsonschema.Draft7Validator:
    spec = endpoints()[endpoint]
    if part not in spec:
        raise KeyError(f"HeyGen declares no {part} for {endpoint}")
    schema = _as_json_schema(copy.deepcopy(spec[part]))
    return jsonschema.Draft7Validator(schema)


def _problems(endpoint: str, part: str, body) -> list[str]:
    errors = sorted(_validator(endpoint, part).iter_errors(body), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors]


def response_problems(endpoint: str, body) -> list[str]:
    return _problems(endpoint, "ResponseSchema", body)


def request_problems(endpoint: str, body) -> list[str]:
    return _problems(endpoint, "RequestSchema", body)


def check_response(endpoint: str, body) -> None:
    problems = response_problems(endpoint, body)
    assert not problems, f"{endpoint} answered outside HeyGen's schema:\n  " + "\n  ".join(problems)


def check_request(endpoint: str, body) -> None:
    problems = request_problems(endpoint, body)
    assert not problems, f"{endpoint} request outside HeyGen's schema:\n  " + "\n  ".join(problems)


def declared_fields(endpoint: str) -> set[str]:
    """The names HeyGen's answer declares under `data` (and under list items, dotted)."""
    data = endpoints()[endpoint]["ResponseSchema"]["properties"].get("data", {})
    data = data.get("items", data)  # lists answer {"data": [item, ...]}
    names: set[str] = set()

    def collect(schema: dict, prefix: str) -> None:
        for name, sub in schema.get("properties", {}).items():
            names.add(prefix + name)
            if sub.get("type") == "array" and "properties" in sub.get("items", {}):
                collect(sub["items"], f"{prefix}{name}[].")
            elif "properties" in sub:
                collect(sub, f"{prefix}{name}.")

    collect(data, "")
    return names


def path_for(endpoint: str, **params: str) -> str:
    """The concrete path of an endpoint key with its {params} filled in."""
    _, template = endpoint.split(" ", 1)
    missing = set(re.findall(r"{(\w+)}", template)) - set(params)
    if missing:
        raise KeyError(f"{endpoint} needs {sorted(missing)}")
    return template.format(**params)
