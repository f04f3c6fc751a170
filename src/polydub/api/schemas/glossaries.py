"""Brand glossaries: terms translated the same way in every video that names the glossary."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from polydub.api.schemas.fields import (
    MAX_GLOSSARY_TERMS,
    REQUEST_CONFIG,
    Flag,
    GlossaryName,
    GlossaryTerm,
)


class GlossaryTermIn(BaseModel):
    """One term: `source` as it appears in the speech, `target` as it must come out of
    translation (empty or equal to `source`: keep it untranslated)."""

    model_config = REQUEST_CONFIG
    source: GlossaryTerm = Field(min_length=1)
    target: GlossaryTerm = ""
    case_sensitive: Flag = False

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a term needs a non-blank source")
        return value.strip()

    @field_validator("target")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class GlossaryCreate(BaseModel):
    """Request body of POST /v3/brand-glossaries."""

    model_config = REQUEST_CONFIG
    name: GlossaryName
    terms: list[GlossaryTermIn] = Field(default_factory=list, max_length=MAX_GLOSSARY_TERMS)


class GlossaryUpdate(BaseModel):
    """Request body of PATCH /v3/brand-glossaries/{id}: fields given replace the stored ones
    (`terms` replaces the whole list)."""

    model_config = REQUEST_CONFIG
    name: GlossaryName | None = None
    terms: list[GlossaryTermIn] | None = Field(default=None, max_length=MAX_GLOSSARY_TERMS)


class GlossaryPublic(BaseModel):
    """A brand glossary as HeyGen lists one (`brand_glossary_id`, `name`, times as ISO 8601
    UTC strings), plus Polydub's `terms` and `id` (the same value as `brand_glossary_id`, kept
    for clients written before it). Its id goes in a translation's `brand_glossary_id` (or the
    legacy `brand_voice_id`)."""

    brand_glossary_id: str
    id: str = Field(description="Same as brand_glossary_id (Polydub's earlier name)")
    name: str
    terms: list[GlossaryTermIn]
    created_at: str = Field(description="Creation time, ISO 8601 UTC")
    updated_at: str = Field(description="Last update time, ISO 8601 UTC")


class GlossaryList(BaseModel):
    """A page of glossaries, newest first; pass `next_token` back as `token` to get the next
    page."""

    data: list[GlossaryPublic]
    has_more: bool
    next_token: str | None = None


class GlossaryDeleted(BaseModel):
    id: str
    deleted: bool = True
