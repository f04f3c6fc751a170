"""Assets: files uploaded once and referenced as `{"type": "asset_id", "asset_id": ...}`.

The upload is streamed to disk part by part with the size limit checked as bytes arrive (a
2 GB video never sits in memory), then its content is sniffed and, for media, confirmed by
ffprobe and a short decode: the file's name and declared type are never trusted.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select

from polydub.api.asset_views import asset_public, public_status
from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid, not_found
from polydub.api.pagination import newest_first_page
from polydub.api.schemas.assets import (
    AssetDeleted,
    AssetList,
    AssetPublic,
    AssetStatus,
    AssetStatusList,
)
from polydub.api.schemas.common import DataEnvelope
from polydub.jobs.asset_uploads import identify_upload
from polydub.jobs.context import ServiceContext
from polydub.jobs.in_use import jobs_using_asset
from polydub.jobs.models import Asset

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v3/assets", tags=["Assets"])

FILE_FIELD = "file"
# Room for the multipart boundaries and part headers around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024
_MAX_OTHER_FIELD_BYTES = 64 * 1024

_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                    "required": [FILE_FIELD],
                }
            }
        },
    }
}


class _UploadTooLarge(Exception):
    pass


class _FilePartReceiver:
    """Feeds python-multipart with request chunks and writes the `file` part to `target`,
    refusing it as soon as it grows past `limit` bytes."""

    def __init__(self, boundary: bytes, target: Path, limit: int) -> None:
        self.target, self.limit = target, limit
        self.filename: str | None = None
        self.size = 0
        self._handle = None
        self._in_file_part = False
        self._other_bytes = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
                "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def finish(self) -> None:
        self._parser.finalize()
        self.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name", b"").decode(errors="replace")
        # Only the first `file` part counts; a second one is ignored like any other field.
        if name == FILE_FIELD and self.filename is None and b"filename" in options:
            self.filename = options[b"filename"].decode(errors="replace")
            self._handle = self.target.open("wb")
            self._in_file_part = True

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file_part:
            self.size += end - start
            if self.size > self.limit:
                raise _UploadTooLarge
            self._handle.write(data[start:end])
        else:
            self._other_bytes += end - start
            if self._other_bytes > _MAX_OTHER_FIELD_BYTES:
                raise invalid("form fields other than 'file' are too large", FILE_FIELD)

    def _on_part_end(self) -> None:
        if self._in_file_part:
            self._in_file_part = False
            self.close()


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "invalid_parameter",
        f"file is larger than the upload limit of {limit} bytes",
        param=FILE_FIELD,
    )


async def _receive_upload(request: Request, target: Path, limit: int) -> _FilePartReceiver:
    """Stream the multipart body into `target`; returns the receiver (filename, size)."""
    mime, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise invalid("send the file as multipart/form-data in a field named 'file'", FILE_FIELD)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _MULTIPART_OVERHEAD:
        raise _too_large(limit)  # refused before reading a byte
    receiver = _FilePartReceiver(boundary, target, limit)
    try:
        async for chunk in request.stream():
            receiver.feed(chunk)
        receiver.finish()
    except _UploadTooLarge as exc:
        raise _too_large(limit) from exc
    except MultipartParseError as exc:
        raise invalid(f"malformed multipart body: {exc}", FILE_FIELD) from exc
    finally:
        receiver.close()
    if receiver.filename is None:
        raise invalid("'file' is required.", FILE_FIELD)
    if receiver.size == 0:
        raise invalid("the uploaded file is empty", FILE_FIELD)
    return receiver


def _store(context: ServiceContext, owner_id: str, upload: Path, name: str, size: int) -> Asset:
    sniffed = identify_upload(upload)
    asset_id = uuid.uuid4().hex
    storage_key = f"assets/{asset_id}/content.{sniffed.format}"
    # Locally a rename (the upload already sits on the data volume); on S3 an upload.
    context.blobs.move_file(storage_key, upload)
    asset = Asset(
        id=asset_id,
        owner_id=owner_id,
        filename=(Path(name).name or "upload")[:255],
        content_type=sniffed.content_type,
        kind=sniffed.kind,
        size=size,
        storage_key=storage_key,
    )
    try:
        with context.db.session() as session:
            session.add(asset)
    except BaseException:
        context.blobs.delete_prefix(f"assets/{asset_id}")
        raise
    return asset


@router.post("", openapi_extra=_UPLOAD_SCHEMA)
async def upload_asset(
    request: Request, key: CurrentKey, context: ContextDep
) -> DataEnvelope[AssetPublic]:
    """Upload a file (multipart field `file`): video, audio, image, SRT or WebVTT, identified by
    its content."""
    limit = context.settings.max_upload_bytes
    incoming = context.settings.data_dir / "uploads"
    incoming.mkdir(parents=True, exist_ok=True)
    upload = incoming / f"{uuid.uuid4().hex}.part"
    try:
        received = await _receive_upload(request, upload, limit)
        asset = await run_in_threadpool(
            _store, context, key.id, upload, received.filename or "upload", received.size
        )
    finally:
        upload.unlink(missing_ok=True)
    logger.info("asset %s uploaded: %s, %d bytes", asset.id, asset.kind, asset.size)
    return DataEnvelope(data=asset_public(context, asset, key))


MAX_STATUS_IDS = 100


def _owned_asset(session, owner_id: str, asset_id: str) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None or asset.owner_id != owner_id:
        raise not_found("asset", "asset_id")
    return asset


@router.get("", response_model=AssetList)
def list_assets(
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    token: Annotated[str | None, Query(description="next_token of the previous page")] = None,
    next_token: Annotated[str | None, Query(description="Same as token")] = None,
    folder_id: Annotated[
        str | None, Query(max_length=255, description="Assets have no folder: '' lists all")
    ] = None,
    username: Annotated[
        str | None, Query(max_length=255, description="Accepted; a key sees only its own")
    ] = None,
) -> dict:
    """The caller's assets, newest first (direct uploads still pending included); pass
    `token` (the previous page's next_token) for the next page."""
    if folder_id:  # no asset is in a folder: HeyGen's filter matches none
        return {"data": [], "has_more": False, "next_token": None}
    query = select(Asset).where(Asset.owner_id == key.id)
    page, has_more, following = newest_first_page(session, query, Asset, limit, token or next_token)
    return {
        "data": [asset_public(context, row, key).model_dump() for row in page],
        "has_more": has_more,
        "next_token": following,
    }


def _id_list(raw: str | None, param: str) -> list[str]:
    ids = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if any(len(part) > 255 for part in ids):
        raise invalid(f"{param}: an id is longer than 255 characters", param)
    return list(dict.fromkeys(ids))


@router.get("/statuses", response_model=AssetStatusList)
def asset_statuses(
    key: CurrentKey,
    session: SessionDep,
    asset_ids: Annotated[str | None, Query(description="Comma-separated asset IDs")] = None,
    batch_ids: Annotated[str | None, Query(description="Comma-separated batch IDs")] = None,
) -> dict:
    """Statuses of up to 100 assets, named directly or by their upload batch: queued (not
    uploaded yet), processing, completed, failed, or not_found (unknown or another key's)."""
    assets, batches = _id_list(asset_ids, "asset_ids"), _id_list(batch_ids, "batch_ids")
    if not assets and not batches:
        raise invalid("give asset_ids or batch_ids (comma-separated)", "asset_ids")
    if len(assets) + len(batches) > MAX_STATUS_IDS:
        raise invalid(f"at most {MAX_STATUS_IDS} ids per request", "asset_ids")
    entries: list[AssetStatus] = []
    for asset_id in assets:
        row = session.get(Asset, asset_id)
        if row is None or row.owner_id != key.id:
            entries.append(AssetStatus(video_id=asset_id, asset_id=asset_id, status="not_found"))
        else:
            entries.append(_status_entry(row, with_batch=False))
    for batch_id in batches:
        rows = session.scalars(
            select(Asset)
            .where(Asset.owner_id == key.id, Asset.upload_batch_id == batch_id)
            .order_by(Asset.batch_index)
        ).all()
        if not rows:
            entries.append(
                AssetStatus(video_id=None, asset_id=None, status="not_found", batch_id=batch_id)
            )
        entries.extend(_status_entry(row, with_batch=True) for row in rows)
    return {"data": [e.model_dump() for e in entries], "has_more": False, "next_token": None}


def _status_entry(row: Asset, *, with_batch: bool) -> AssetStatus:
    return AssetStatus(
        video_id=row.id,
        asset_id=row.id,
        status=public_status(row.status),
        error=row.failure,
        batch_id=row.upload_batch_id if with_batch else None,
        item_index=row.batch_index if with_batch else None,
    )


@router.get("/{asset_id}")
def read_asset(
    asset_id: str, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[AssetPublic]:
    """An asset (a direct upload's too, whatever its status)."""
    return DataEnvelope(data=asset_public(context, _owned_asset(session, key.id, asset_id), key))


@router.delete("/{asset_id}")
def delete_asset(
    asset_id: str, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[AssetDeleted]:
    """Delete an asset and its file. Refused (409 resource_in_use) while a pending or running
    job still reads it: deleting it would fail that job."""
    asset = _owned_asset(session, key.id, asset_id)
    users = jobs_using_asset(session, key.id, asset.id)
    if users:
        raise ApiError(
            409,
            "resource_in_use",
            f"asset {asset.id} is an input of unfinished job(s) {', '.join(users[:5])}; "
            "delete it after they finish or delete them first",
            param="asset_id",
        )
    session.delete(asset)
    session.commit()  # before the file goes: a failed commit leaves both in place
    context.blobs.delete_prefix(f"assets/{asset.id}")
    return DataEnvelope(data=AssetDeleted(id=asset.id))
