"""Direct uploads: large files go straight to storage, not through a multipart request.

POST /v3/assets/direct-uploads (or .../batches for up to 100) records pending assets and says
where to PUT each file: the bucket's presigned URL (S3 with POLYDUB_STORAGE_PRESIGNED_URLS),
else `PUT /v3/uploads/{asset_id}` here, signed like a file URL (no API key: the signature is
the grant), streamed to disk under the declared size and sniffed like POST /v3/assets.
POST /v3/assets/{asset_id}/complete (or /v3/assets/complete/batches, verified after the 202
answer, each file on its own) checks the stored object and makes the asset usable.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from polydub.api.asset_views import public_status
from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid
from polydub.api.pagination import unix
from polydub.api.schemas.assets import (
    AssetBatch,
    AssetBatchItem,
    CompleteBatchRequest,
    CompletedAsset,
    CompleteUploadRequest,
    DirectUploadBatch,
    DirectUploadBatchRequest,
    DirectUploadRequest,
    UploadSlot,
)
from polydub.api.schemas.common import DataEnvelope
from polydub.errors import InvalidInputError
from polydub.jobs import asset_uploads
from polydub.jobs.models import Asset, AssetUploadBatch
from polydub.media import declared_types
from polydub.storage.signed_urls import context_file_url, verify_upload_signature

logger = logging.getLogger(__name__)

router = APIRouter(tags=["Assets"])


@router.post("/v3/assets/direct-uploads")
def create_direct_upload(
    body: DirectUploadRequest, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[UploadSlot]:
    """Begin a direct upload: PUT the bytes to `upload_url` with `upload_headers`, then POST
    /v3/assets/{asset_id}/complete. The asset is not usable until completed."""
    limit = context.settings.max_upload_bytes
    problem = asset_uploads.declaration_problem(body.content_type, body.size_bytes, limit)
    if problem is not None:
        raise invalid(problem[1], problem[0])
    asset = asset_uploads.open_direct_upload(
        key.id,
        filename=body.filename,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        checksum_sha256=body.checksum_sha256,
    )
    session.add(asset)
    session.commit()
    return DataEnvelope(data=UploadSlot(**asset_uploads.upload_slot(context, asset)))


@router.post("/v3/assets/direct-uploads/batches")
def create_direct_upload_batch(
    body: DirectUploadBatchRequest, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[DirectUploadBatch]:
    """Begin up to 100 direct uploads; a file whose declaration is refused (unsupported
    type, over the limit) is a failed item, the others go on. Complete them all with POST
    /v3/assets/complete/batches."""
    limit = context.settings.max_upload_bytes
    batch = AssetUploadBatch(id=uuid.uuid4().hex, owner_id=key.id, title=body.title)
    session.add(batch)
    slots = []
    for index, file in enumerate(body.files):
        problem = asset_uploads.declaration_problem(file.content_type, file.size_bytes, limit)
        asset = asset_uploads.open_direct_upload(
            key.id,
            filename=file.filename,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            checksum_sha256=file.checksum_sha256,
            batch_id=batch.id,
            batch_index=index,
            refused=f"files.{index}.{problem[0]}: {problem[1]}" if problem else None,
        )
        session.add(asset)
        slots.append(asset)
    session.commit()
    items = [
        UploadSlot(**asset_uploads.upload_slot(context, asset))
        if asset.status == asset_uploads.PENDING
        else UploadSlot(
            asset_id=asset.id,
            upload_url="",
            upload_headers={},
            expires_in_seconds=0,
            max_bytes=limit,
            status=asset.status,
            error=asset.failure,
        )
        for asset in slots
    ]
    return DataEnvelope(data=DirectUploadBatch(batch_id=batch.id, items=items))


@router.post("/v3/assets/{asset_id}/complete")
def complete_direct_upload(
    asset_id: str, key: CurrentKey, context: ContextDep, body: CompleteUploadRequest | None = None
) -> DataEnvelope[CompletedAsset]:
    """Finish a direct upload: the object must exist with the declared size (and checksum)
    and be, by its content, the declared type. Idempotent."""
    checksum = body.checksum_sha256 if body is not None else None
    asset = asset_uploads.complete_upload(context, key.id, asset_id, checksum_sha256=checksum)
    return DataEnvelope(
        data=CompletedAsset(
            asset_id=asset.id,
            url=context_file_url(context, asset.storage_key),
            mime_type=asset.content_type,
            size_bytes=asset.size,
            status=asset.status,
        )
    )


@router.post("/v3/assets/complete/batches", status_code=202)
def complete_direct_upload_batch(
    body: CompleteBatchRequest,
    key: CurrentKey,
    session: SessionDep,
    context: ContextDep,
    background: BackgroundTasks,
) -> JSONResponse:
    """Finish every upload of a batch, each on its own, after this 202 answer; poll GET
    /v3/assets/batches/{batch_id}. Repeating it re-drives the items not yet settled."""
    asset_uploads.owned_batch(session, key.id, body.batch_id)
    session.rollback()  # end the read before other sessions write the same rows
    asset_ids = asset_uploads.mark_processing(context, key.id, body.batch_id)
    if asset_ids:
        background.add_task(asset_uploads.complete_batch_items, context, key.id, asset_ids)
    data = {"batch_id": body.batch_id, "status": "processing", "total_items": 0}
    with context.db.session() as fresh:
        items = _batch_assets(fresh, key.id, body.batch_id)
    data["total_items"] = len(items)
    data["status"] = "processing" if asset_ids else _aggregate([a.status for a in items])
    return JSONResponse({"data": data}, status_code=202, background=background)


@router.get("/v3/assets/batches/{batch_id}")
def read_asset_batch(
    batch_id: str,
    key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    token: Annotated[str | None, Query(description="next_token of the previous page")] = None,
) -> DataEnvelope[AssetBatch]:
    """A batch's aggregate status and one page of its items (ordered by item_index)."""
    batch = asset_uploads.owned_batch(session, key.id, batch_id)
    assets = _batch_assets(session, key.id, batch_id)
    start = _decode_index(token) if token else 0
    page = assets[start : start + limit]
    has_more = start + limit < len(assets)
    counts: dict[str, int] = {}
    for asset in assets:
        status = public_status(asset.status)
        counts[status] = counts.get(status, 0) + 1
    return DataEnvelope(
        data=AssetBatch(
            batch_id=batch.id,
            title=batch.title,
            status=_aggregate([a.status for a in assets]),
            total_items=len(assets),
            counts_by_status=counts,
            created_at=unix(batch.created_at),
            items=[
                AssetBatchItem(
                    item_index=a.batch_index,
                    status=public_status(a.status),
                    video_id=a.id,
                    asset_id=a.id,
                    error=a.failure,
                )
                for a in page
            ],
            has_more=has_more,
            next_token=_encode_index(start + limit) if has_more else None,
        )
    )


_RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.put("/v3/uploads/{asset_id}", openapi_extra=_RAW_BODY)
async def receive_direct_upload(
    asset_id: str,
    request: Request,
    context: ContextDep,
    expires: int = Query(..., description="Unix time the URL expires at."),
    signature: str = Query(..., description="HMAC-SHA256 of the asset ID and expiry."),
) -> DataEnvelope[dict]:
    """The upload URL of a direct upload when storage is not a bucket clients reach: the raw
    bytes, at most the declared size, checked like POST /v3/assets as they land."""
    if not verify_upload_signature(context.secret, asset_id, expires, signature):
        raise ApiError(403, "forbidden", "the upload URL is expired or its signature is invalid")
    asset = await run_in_threadpool(_pending_asset, context, asset_id)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > asset.size:
        raise _over_declared(asset.size)  # refused before reading a byte
    incoming = context.settings.data_dir / "uploads"
    incoming.mkdir(parents=True, exist_ok=True)
    upload = incoming / f"{uuid.uuid4().hex}.part"
    try:
        size = await _receive_raw(request, upload, asset.size)
        if size != asset.size:
            raise invalid(f"received {size} bytes, but size_bytes declared {asset.size}", "file")
        await run_in_threadpool(_check_and_store, context, asset, upload)
    finally:
        upload.unlink(missing_ok=True)
    logger.info("asset %s direct upload received: %d bytes", asset.id, size)
    return DataEnvelope(data={"asset_id": asset.id, "size_bytes": size, "status": asset.status})


def _pending_asset(context, asset_id: str) -> Asset:
    with context.db.session() as session:
        asset = session.get(Asset, asset_id)
    if asset is None:
        raise ApiError(404, "not_found", "asset not found", param="asset_id")
    if asset.status != asset_uploads.PENDING:
        raise ApiError(
            409,
            "conflict",
            f"asset {asset.id} is {asset.status}: it takes no more uploads",
            param="asset_id",
        )
    return asset


def _over_declared(size: int) -> ApiError:
    return ApiError(
        413, "invalid_parameter", f"the file is larger than size_bytes ({size})", param="file"
    )


async def _receive_raw(request: Request, target: Path, limit: int) -> int:
    """Stream the body into `target`, refusing it as soon as it passes `limit` bytes."""
    size = 0
    with target.open("wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _over_declared(limit)
            handle.write(chunk)
    return size


def _check_and_store(context, asset: Asset, upload: Path) -> None:
    sniffed = asset_uploads.identify_upload(upload)
    if not declared_types.admits(asset.content_type, sniffed.format):
        raise InvalidInputError(
            f"the file is {sniffed.content_type} ({sniffed.format}), but content_type "
            f"declared {asset.content_type}",
            param="file",
        )
    context.blobs.move_file(asset.storage_key, upload)


def _batch_assets(session, owner_id: str, batch_id: str) -> list[Asset]:
    return list(
        session.scalars(
            select(Asset)
            .where(Asset.owner_id == owner_id, Asset.upload_batch_id == batch_id)
            .order_by(Asset.batch_index)
        )
    )


def _aggregate(statuses: list[str]) -> str:
    """HeyGen's batch status: processing until every item settles, then failed when all
    failed, else completed."""
    if any(s not in (asset_uploads.COMPLETED, asset_uploads.FAILED) for s in statuses):
        return "processing"
    return (
        "failed" if statuses and all(s == asset_uploads.FAILED for s in statuses) else ("completed")
    )


def _encode_index(index: int) -> str:
    return base64.urlsafe_b64encode(f"item:{index}".encode()).decode().rstrip("=")


def _decode_index(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "item" or not number.isdigit():
            raise ValueError(token)
        return int(number)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid("token is not a token this API returned", "token") from exc
