"""An asset row as the API shows it: HeyGen's fields plus Polydub's earlier names."""

from __future__ import annotations

from polydub.api.pagination import unix
from polydub.api.schemas.assets import AssetPublic
from polydub.jobs.models import ApiKey, Asset
from polydub.storage.signed_urls import context_file_url


def asset_public(context, asset: Asset, owner: ApiKey) -> AssetPublic:
    completed = asset.status == "completed"
    created = unix(asset.created_at)
    return AssetPublic(
        asset_id=asset.id,
        id=asset.id,
        name=asset.filename,
        type=asset.kind,
        mime_type=asset.content_type,
        size_bytes=asset.size,
        url=context_file_url(context, asset.storage_key) if completed else None,
        owner=owner.name,
        space_id=owner.id,
        uploaded_at=created,
        status=asset.status,
        error=asset.failure,
        file_type=asset.kind,
        format=asset.storage_key.rsplit(".", 1)[-1] if "." in asset.storage_key else "",
        content_type=asset.content_type,
        size=asset.size,
        created_at=created,
    )


def public_status(asset_status: str) -> str:
    """HeyGen's item statuses (queued | processing | completed | failed) for an asset's."""
    return "queued" if asset_status == "pending_upload" else asset_status
