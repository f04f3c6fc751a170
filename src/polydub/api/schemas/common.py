"""Pieces shared by several resources: asset references and the success envelope."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from polydub.api.schemas.fields import REQUEST_CONFIG, ResourceId, Title, Url

T = TypeVar("T")


class AssetUrl(BaseModel):
    """Asset input via publicly accessible HTTPS URL."""

    model_config = REQUEST_CONFIG
    type: Literal["url"]
    url: Url


class AssetId(BaseModel):
    """Asset input via an asset ID from the asset upload endpoint."""

    model_config = REQUEST_CONFIG
    type: Literal["asset_id"]
    asset_id: ResourceId


AssetRef = Annotated[AssetUrl | AssetId, Field(discriminator="type")]


def time_range_problem(start: float | None, end: float | None) -> tuple[str, str] | None:
    """(param, message) when a request's start_time/end_time make no sense, else None."""
    if start is not None and start < 0:
        return "start_time", "start_time must be >= 0"
    if end is not None and end <= 0:
        return "end_time", "end_time must be > 0"
    if start is not None and end is not None and end <= start:
        return "end_time", "end_time must be greater than start_time"
    return None


# The `warnings` field of a job resource: what its report says a person should know.
WARNINGS_DESCRIPTION = (
    "What a person should know about the result, one sentence each (the report's warnings): "
    "no face found, the speaker not visible for N s, lines left untouched, stretches slowed, "
    "a doubtful translation route or language"
)


def report_warnings(report: dict | None) -> list[str]:
    """A finished job's warnings, from its report (none before it finishes)."""
    return [str(w) for w in (report or {}).get("warnings", [])]


class UpdateTitleRequest(BaseModel):
    """Body of PATCH /v3/video-translations/{id} and /v3/lipsyncs/{id}: the display title."""

    model_config = REQUEST_CONFIG
    title: Title = Field(description="New title")


class DataEnvelope(BaseModel, Generic[T]):
    """HeyGen's success shape: {"data": ...}."""

    data: T


class StandardAPIError(BaseModel):
    code: str
    message: str
    param: str | None = None
    doc_url: str | None = None


class ErrorEnvelope(BaseModel):
    error: StandardAPIError
