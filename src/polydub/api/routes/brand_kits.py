"""Brand kits (HeyGen: colors, fonts and logos applied to Video Agent sessions).

Polydub has no brand kits: it makes no avatar or agent videos for a kit to style, and keeps no
colors, fonts or logos. The endpoint exists so HeyGen's clients that list kits get an honest
answer, an empty page, instead of a 404 for a path they expect.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from polydub.api.deps import CurrentKey
from polydub.api.pagination import decode_token
from polydub.api.schemas.brand_kits import BrandKitList

router = APIRouter(prefix="/v3/brand-kits", tags=["Brand"])


@router.get("")
async def list_brand_kits(
    key: CurrentKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: Annotated[str | None, Query(max_length=500)] = None,
) -> BrandKitList:
    """The caller's brand kits: always none, as Polydub keeps no brand kits."""
    if token:
        decode_token(token)  # a token this API never handed out is refused like elsewhere
    return BrandKitList(data=[], has_more=False, next_token=None)
