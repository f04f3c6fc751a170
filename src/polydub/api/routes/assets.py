"""Assets: files uploaded once and referenced as `{"type": "asset_id", "asset_id": ...}`.

The upload is streamed to disk part by part with the size limit checked as bytes arrive (a
2 GB video never sits in memory), then its content is sniffed and, for media, confirmed by
ffprobe and a short decode: the file's name and declared type are never trusted.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid, not_found
from polydub.api.schemas.assets import AssetDeleted, AssetPublic
from polydub.api.schemas.common import DataEnvelope
from polydub.jobs.context import ServiceContext
from polydub.jobs.in_use import jobs_using_asset
from polydub.jobs.models import Asset
from polydub.media.sniff import SniffedType, UnsupportedContent, confirm_media, sniff_file

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


def _identify(path: Path) -> SniffedType:
    """Sniff then confirm; raises the 400 a client can act on."""
    sniffed = sniff_file(path)
    if sniffed is None:
        raise invalid(
            "unsupported file content: upload a video (mp4, mov, webm, mkv, avi), audio (wav, "
            "mp3, m4a, ogg, flac), image (png, jpeg) or caption (srt, vtt) file",
            FILE_FIELD,
        )
    try:
        return confirm_media(path, sniffed)
    except UnsupportedContent as exc:
        raise invalid(f"the file cannot be used: {exc}", FILE_FIELD) from exc


def _asset_url(context: ServiceContext, storage_key: str) -> str | None:
    from polydub.storage.signed_urls import context_file_url

    return context_file_url(context, storage_key)


def _public(context: ServiceContext, asset: Asset) -> AssetPublic:
    return AssetPublic(
        id=asset.id,
        name=asset.filename,
        file_type=asset.kind,
        format=asset.storage_key.rsplit(".", 1)[-1],
        content_type=asset.content_type,
        size=asset.size,
        created_at=int(asset.created_at.timestamp()),
        url=_asset_url(context, asset.storage_key),
    )


def _store(context: ServiceContext, owner_id: str, upload: Path, name: str, size: int) -> Asset:
    sniffed = _identify(upload)
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
    return DataEnvelope(data=_public(context, asset))


def _owned_asset(session, owner_id: str, asset_id: str) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None or asset.owner_id != owner_id:
        raise not_found("asset", "asset_id")
    return asset


@router.get("/{asset_id}")
def read_asset(
    asset_id: str, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[AssetPublic]:
    """An uploaded asset."""
    return DataEnvelope(data=_public(context, _owned_asset(session, key.id, asset_id)))


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
