"""The tables behind the API: keys, assets, glossaries, batches, translations, proofreads and
idempotency records. Every user-owned row carries `owner_id`: a key sees only its own rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from polydub.request_ids import current_request_id


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class ApiKey(Base):
    """An API key; only the SHA-256 of the secret is stored (keys are 256-bit random)."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Asset(Base):
    __tablename__ = "assets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # "video" | "audio" | "srt" | "image"
    size: Mapped[int] = mapped_column(BigInteger)  # uploads reach 2 GiB, past int32
    storage_key: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # "completed" (usable), or a direct upload's "pending_upload" -> "processing" (being
    # verified) -> "completed" | "failed". Until completed, `content_type`, `kind` and `size`
    # are what the client declared.
    status: Mapped[str] = mapped_column(String(16), default="completed", server_default="completed")
    checksum_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    upload_batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    batch_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {"code", "message"}


class AssetUploadBatch(Base):
    """Direct uploads requested together (POST /v3/assets/direct-uploads/batches)."""

    __tablename__ = "asset_upload_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Glossary(Base):
    """A brand glossary: terms translated the same way every time."""

    __tablename__ = "glossaries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list] = mapped_column(JSON, default=list)  # [{"source", "target"}]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Batch(Base):
    """One create request: its languages share the source-side work (ingest .. diarize)."""

    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "translation" | "proofread" | "lipsync"
    # The job spec (jobs/spec.py) as JSON; batches made before specs hold the HeyGen request.
    request: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The X-Request-Id of the request that created it (current when the row is inserted):
    # its job's log lines and webhook deliveries carry it.
    request_id: Mapped[str | None] = mapped_column(
        String(128), nullable=True, default=current_request_id
    )


class Translation(Base):
    """One video translation: a source video dubbed into one language."""

    __tablename__ = "translations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    proofread_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    folder_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    mode: Mapped[str] = mapped_column(String(16), default="speed")
    input_language: Mapped[str | None] = mapped_column(String(64), nullable=True)
    output_language: Mapped[str] = mapped_column(String(64))  # HeyGen's name
    output_code: Mapped[str] = mapped_column(String(16))  # ISO 639-1
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    callback_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    video_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    srt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    vtt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    audio_key: Mapped[str | None] = mapped_column(String(500), nullable=True)  # the dub alone
    translate_audio_only: Mapped[bool] = mapped_column(Boolean, default=False)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Proofread(Base):
    """A proofread session: the translated script of one language, to review before dubbing."""

    __tablename__ = "proofreads"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    folder_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="processing", index=True)
    input_language: Mapped[str | None] = mapped_column(String(64), nullable=True)  # detected
    output_language: Mapped[str] = mapped_column(String(64))
    output_code: Mapped[str] = mapped_column(String(16))
    srt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    edited_srt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Lipsync(Base):
    """One Lip Sync job: the user's video with the user's audio, the mouth redrawn to follow it.

    Its batch (kind "lipsync", holding the request) has the same id, so the executors that run
    batches run it, and a DELETE can revoke its queued task by this id.
    """

    __tablename__ = "lipsyncs"
    id: Mapped[str] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    folder_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    mode: Mapped[str] = mapped_column(String(16), default="speed")
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    callback_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    video_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    srt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    vtt_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class JobBatch(Base):
    """HeyGen's batch resource: up to 100 create payloads sent at once. Each item is created
    on its own (an invalid one fails alone); the batch only remembers which job each became."""

    __tablename__ = "job_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "translation" | "lipsync"
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_items: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobBatchItem(Base):
    """One item of a JobBatch: the job it became (job_id), or why it could not be (error)."""

    __tablename__ = "job_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "item_index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("job_batches.id"), index=True)
    item_index: Mapped[int] = mapped_column(Integer)
    payload_index: Mapped[int] = mapped_column(Integer)  # its payload (one per language)
    job_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {code, message, param}


class VoiceClone(Base):
    """A voice cloned from a recording (POST /v3/voices/clone): the project's matched voice of
    that speaker, usable by its voice id ("clone:<id>") wherever a voice is named.

    Its batch (kind "voice_clone", holding the audio reference) has the same id, so the
    executors that run batches run the cloning. Statuses are the job statuses (pending,
    running, completed, failed); the API shows HeyGen's (processing, complete, failed).
    """

    __tablename__ = "voice_clones"
    id: Mapped[str] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)  # ISO 639-1
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    preview_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # how it was matched
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IdempotencyRecord(Base):
    """A mutation's response, replayed for 24 h to retries with the same Idempotency-Key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner_id", "scope", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(500))  # method + path (route and its params)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class WebhookEndpoint(Base):
    """A URL registered with POST /v3/webhooks/endpoints: every event of its owner's jobs that
    its filter takes is delivered there, signed with its own secret.

    `events` None takes every event type; `entity_id` set takes only that job's events. The
    secret is kept as is (an HMAC key must be at hand to sign), shown only at creation and
    rotation.
    """

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list | None] = mapped_column(JSON, nullable=True)
    entity_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="enabled")  # | "disabled"
    secret: Mapped[str] = mapped_column(String(128))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# WebhookDelivery.destination of the delivery to the job's own callback_url; any other value
# is the id of a WebhookEndpoint.
CALLBACK_DESTINATION = "callback"


class WebhookDelivery(Base):
    """One webhook event's delivery to one destination: the job's callback_url or a
    registered endpoint. Its id is the event id (header X-Polydub-Event-Id) and the rows are
    the history GET /v3/webhooks/events lists.

    A (entity, event_type, destination) triple is recorded once, so a job finished twice
    sends one event to each. `claimed_by` / `claim_expires_at` lease the row to one
    dispatcher while it sends.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "entity_id", "event_type", "destination", name="uq_webhook_deliveries_event_destination"
        ),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    # CALLBACK_DESTINATION or a webhook endpoint's id (no foreign key: a deleted endpoint's
    # deliveries stay in the history).
    destination: Mapped[str] = mapped_column(
        String(32), default=CALLBACK_DESTINATION, server_default=CALLBACK_DESTINATION, index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))  # "video_translate.success", ...
    entity_kind: Mapped[str] = mapped_column(String(16))  # "translation" | "lipsync"
    entity_id: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[dict] = mapped_column(JSON)  # {"event_type", "event_data"}, as POSTed
    # The X-Request-Id of the request that created the job, sent along with the event.
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # pending | delivered | failed (given up) | cancelled (its endpoint deleted or disabled)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
