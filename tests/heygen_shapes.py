"""Every request shape one of HeyGen's RequestSchemas allows, as concrete bodies.

For an object: the required fields alone, then the required fields plus each optional field in
turn (in each of its own shapes). A oneOf gives each branch (its discriminator value filled in
from HeyGen's mapping), an enum each value, a nullable field also null, a boolean both values.
The variants grow with the schema's size, not its combinations; every one passes HeyGen's
validator (heygen_schema.check_request), which tests assert before using them.

Values are plausible for the field's name (a URL for `url`, a language name for languages) so
that a server's field checks see what a real client would send.
"""

from __future__ import annotations

import base64

_ID = "0123456789abcdef0123456789abcdef"
_STRINGS = {
    "url": "https://media.example.com/clip.mp4",
    "callback_url": "https://hooks.example.com/heygen",
    "output_languages": "Spanish",
    "input_language": "English",
    "language": "English",
    "locale": "en-US",
    "gender": "female",
    "fps_mode": "cfr",
    "input_type": "text",
    "media_type": "audio/wav",
    "data": base64.b64encode(b"RIFF\x00\x00\x00\x00WAVE").decode(),
    "content_type": "video/mp4",
    "filename": "clip.mp4",
    "checksum_sha256": "0" * 64,
    "title": "Contract check",
    "voice_name": "Contract voice",
    "text": "Hello from the contract suite.",
    "prompt": "a warm narrator",
    "file": "clip.mp4",
}
_INTEGERS = {"size_bytes": 1024, "speaker_num": 1, "seed": 0}
_NUMBERS = {"start_time": 0.0, "end_time": 5.0, "speed": 1.0}


def request_shapes(schema: dict, name: str = "") -> list:
    """Concrete instances covering `schema`'s shapes (see the module docstring)."""
    shapes = _shapes(schema, name)
    if schema.get("nullable"):
        shapes.append(None)
    return shapes


def _shapes(schema: dict, name: str) -> list:
    if "oneOf" in schema:
        mapping = schema.get("discriminator", {})
        return [
            shape for branch in schema["oneOf"] for shape in _branch_shapes(branch, name, mapping)
        ]
    if "enum" in schema:
        return list(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return _object_shapes(schema)
    if kind == "array":
        return [[item] for item in request_shapes(schema.get("items", {}), name)]
    if kind == "boolean":
        return [True, False]
    if kind == "integer":
        return [_INTEGERS.get(name, 1)]
    if kind == "number":
        return [_NUMBERS.get(name, 1.0)]
    if kind == "string":
        if name == "type":
            raise ValueError("a `type` outside a discriminated oneOf")
        return [_STRINGS.get(name, _ID if name.endswith("_id") else "contract")]
    raise ValueError(f"no shapes for {name or 'the body'}: {schema}")


def _object_shapes(schema: dict, fixed: dict | None = None) -> list[dict]:
    properties = schema.get("properties", {})
    required = [field for field in schema.get("required", []) if field not in (fixed or {})]
    base = dict(fixed or {})
    for field in required:
        base[field] = request_shapes(properties[field], field)[0]
    shapes = [base]
    # Each required field's other shapes (each oneOf branch, each enum value) on the base.
    for field in required:
        for shape in request_shapes(properties[field], field)[1:]:
            shapes.append({**base, field: shape})
    for field, sub in properties.items():
        if field in base or field in required:
            continue
        shapes += [{**base, field: shape} for shape in request_shapes(sub, field)]
    return shapes


def _branch_shapes(branch: dict, name: str, discriminator: dict) -> list:
    prop = discriminator.get("propertyName")
    if not prop:
        return _shapes(branch, name)
    return _object_shapes(branch, fixed={prop: _discriminator_value(branch, discriminator)})


def _discriminator_value(branch: dict, discriminator: dict) -> str:
    """HeyGen inlines the branches, so the mapping's keys are matched to them by name: a key
    that is one of the branch's fields (url, asset_id), else one its description names."""
    keys = list(discriminator.get("mapping", {}))
    fields = set(branch.get("properties", {}))
    for key in keys:
        if key in fields:
            return key
    text = branch.get("description", "").lower()
    for key in keys:
        if key.lower() in text:
            return key
    raise ValueError(f"no discriminator value for {branch}")
