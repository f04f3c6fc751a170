"""Field types every request model uses: bounded text, strict flags and finite numbers.

HeyGen's schemas (../shared/heygen/v3-endpoints.json) type each field but give no maximum
length for any body field; the only bound they state is 1-255 characters for the
Idempotency-Key header, and a batch expands to at most 100 items. The limits below are ours,
chosen well above any real value and far below what would bloat every later list (a 100 MB
title used to be accepted and returned by every list call). This table is the one place
they are set; the OpenAPI schema shows each as maxLength / maxItems.

| field                                          | limit            |
|------------------------------------------------|------------------|
| title                                          | 500 characters   |
| callback_id                                    | 255 characters   |
| callback_url, asset url                        | 2048 characters  |
| ids: asset_id, folder_id, brand_glossary_id,   | 255 characters   |
|      brand_voice_id, stock voice ids           |                  |
| language names (input_language, each output)   | 100 characters   |
| output_languages                               | 100 items        |
| preferred_stock_voice_ids                      | 50 items         |
| glossary name                                  | 200 characters   |
| glossary term source / target                  | 500 characters   |
| glossary terms                                 | 5000 items       |

The whole JSON body is bounded too (POLYDUB_MAX_JSON_BODY_BYTES, 1 MiB by default, see
polydub.api.limits): a field over its limit in a body under that size is answered 400 with
the field as `param`; a body over it is answered 413 before it is parsed. (A glossary of 5000
terms is fine at the default; 5000 terms of 500 characters each need a larger limit.)

Types are strict, as HeyGen's typed schema is: booleans are only true/false (not "yes", 1 or
"true"), numbers are JSON numbers (not "5") and finite (not NaN or Infinity, which Python's
JSON parser accepts as bare literals), integers are integers (not 5.0 or true).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt

MAX_TITLE = 500
MAX_CALLBACK_ID = 255
MAX_URL = 2048
MAX_ID = 255
MAX_LANGUAGE_NAME = 100
MAX_OUTPUT_LANGUAGES = 100  # HeyGen caps a batch's expanded items at 100
MAX_STOCK_VOICE_IDS = 50
MAX_GLOSSARY_NAME = 200
MAX_GLOSSARY_TERM = 500
MAX_GLOSSARY_TERMS = 5000

# Every request model's config: unknown fields refused, NaN and Infinity refused everywhere.
REQUEST_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: stored, it would fail the request with a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


_NO_NUL = AfterValidator(_no_nul)

Title = Annotated[str, Field(max_length=MAX_TITLE), _NO_NUL]
CallbackId = Annotated[str, Field(max_length=MAX_CALLBACK_ID), _NO_NUL]
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL), _NO_NUL]
ResourceId = Annotated[str, Field(max_length=MAX_ID), _NO_NUL]
LanguageName = Annotated[str, Field(min_length=1, max_length=MAX_LANGUAGE_NAME), _NO_NUL]
GlossaryName = Annotated[str, Field(min_length=1, max_length=MAX_GLOSSARY_NAME), _NO_NUL]
GlossaryTerm = Annotated[str, Field(max_length=MAX_GLOSSARY_TERM), _NO_NUL]

Flag = StrictBool
Count = StrictInt
# Seconds into a video: a JSON number (an integer is fine), finite.
Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False)]
