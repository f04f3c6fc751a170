"""Brand kits in HeyGen's shape (Polydub keeps none; see api.routes.brand_kits)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BrandKitPublic(BaseModel):
    """HeyGen's brand kit list item."""

    brand_kit_id: str
    name: str
    colors: list[str] = Field(default_factory=list)
    logo_url: str | None = None


class BrandKitList(BaseModel):
    data: list[BrandKitPublic]
    has_more: bool
    next_token: str | None = None
