"""One typed settings object, read from POLYDUB_* environment variables with working defaults.

Only entrypoints (CLI, server, worker) build Settings; engines receive plain arguments.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError

from polydub.errors import PolydubError

ENV_PREFIX = "POLYDUB_"


def _home() -> Path:
    return Path.home()


class CTranslate2ModelConfig(BaseModel):
    """A user-supplied CTranslate2 translation model directory (Opus-MT, NLLB or M2M-100)."""

    path: Path
    # Opus-MT models serve one pair; NLLB / M2M serve many and need these lists.
    source: str | None = None
    target: str | None = None
    languages: list[str] = Field(default_factory=list)
    family: str = "opus-mt"  # "opus-mt" | "nllb" | "m2m"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__")

    # "production" refuses to start with a placeholder secret (see placeholder_secrets);
    # "development" (the default, so a fresh clone runs unconfigured) only warns.
    environment: Literal["development", "production"] = "development"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for collectors

    data_dir: Path = Field(default_factory=lambda: _home() / ".local" / "share" / "polydub")
    cache_dir: Path = Field(default_factory=lambda: _home() / ".cache" / "polydub")

    # Models fetched with `polydub models pull` are found in cache_dir/models/pulled and used
    # without configuration (the best pulled one per stage); explicit directories below win.
    use_pulled_models: bool = True
    # A pulled speech recognition model by name (e.g. whisper-small) instead of the best one.
    asr_model: str | None = None
    # Extra `polydub models` catalogue entries (a JSON list), e.g. for a private hub.
    model_catalogue: Path | None = None

    # Speech recognition: a CTranslate2 Whisper directory; empty means the best pulled model,
    # else the bundled base model.
    whisper_model_dir: Path | None = None
    asr_threads: int = 0  # 0: all cores

    # Translation engines beyond the bundled ones.
    ct2_models: list[CTranslate2ModelConfig] = Field(default_factory=list)
    openai_base_url: str | None = None  # e.g. http://127.0.0.1:8080/v1
    openai_api_key: SecretStr | None = None
    openai_model: str = "default"
    openai_languages: list[str] = Field(default_factory=list)  # empty: every target language
    openai_timeout_s: float = 120.0

    # Voice cloning: an XTTS-v2 checkpoint directory (config.json, model.pth, vocab.json) and
    # the coqui-tts package; empty means speakers are matched by tuning Kokoro styles.
    xtts_model_dir: Path | None = None
    xtts_device: str = "cpu"

    # Separation: a pulled Demucs (`polydub models pull htdemucs`) replaces the bundled
    # Spleeter; "cuda" runs it on a GPU.
    separation_device: str = "cpu"

    # Lines synthesised at once (each on one thread); 0: one per CPU core.
    tts_workers: int = 0

    # Lip-sync: a Wav2Lip-class model file (.onnx or TorchScript .pt) replaces the built-in
    # renderers when set; "auto" runs it on a CUDA GPU when there is one.
    lipsync_model: Path | None = None
    lipsync_device: str = "auto"

    # Timing: the fastest speech rate the fit stage may ask of a voice before slowing video.
    max_speech_rate: float = 1.25
    # The most any stretch of video is slowed to fit a long line; past it, lines speak faster.
    max_slowdown: float = Field(default=1.3, ge=1.0, le=3.0)

    # Loudness target of the final mix, EBU R128 integrated.
    target_lufs: float = -16.0

    # Service (`polydub serve`).
    database_url: str | None = None  # default: SQLite under data_dir
    storage_url: str | None = None  # default: a directory under data_dir
    public_base_url: str = "http://127.0.0.1:8000"  # where signed file URLs point
    signing_secret: SecretStr | None = None  # for file URLs and webhooks; generated if unset
    signed_url_ttl_s: int = 24 * 3600
    max_upload_bytes: int = 2 * 1024**3
    # Any other request body (JSON): larger is answered 413 before it is parsed.
    max_json_body_bytes: int = Field(default=1024**2, gt=0)
    max_download_bytes: int = 20 * 1024**3
    allow_private_urls: bool = False  # allow loopback/private input and callback URLs
    rate_limit_per_minute: int = 600  # per API key
    job_workers: int = 1  # pipelines run at once inside `polydub serve`
    # Unused since deliveries live in the database (retried for webhook_retry_window_s).
    webhook_max_attempts: int = 6
    # Webhooks: a delivery is retried with exponential backoff and jitter (base, doubling, at
    # most webhook_max_delay_s apart) until webhook_retry_window_s after its event, then given
    # up; its state is in the database, so retries survive restarts.
    webhook_retry_window_s: float = 24 * 3600
    webhook_base_delay_s: float = 5.0
    webhook_max_delay_s: float = 3600.0
    webhook_timeout_s: float = 10.0  # per attempt
    webhook_poll_interval_s: float = 1.0  # how often `polydub serve` looks for due deliveries
    # A dispatcher owns a claimed delivery this long; longer than webhook_timeout_s, or two
    # dispatchers could send one delivery at once.
    webhook_claim_lease_s: float = 60.0
    webhook_senders: int = 4  # deliveries sent at once by one dispatcher

    # "subprocess": `polydub serve` runs jobs in one child process of its own, at lower CPU
    # priority, so dubbing never holds the API's interpreter lock; "inprocess": threads of the
    # API process (tests count engine calls this way); "celery": serve only enqueues.
    executor: Literal["subprocess", "inprocess", "celery"] = "subprocess"
    job_niceness: int = 10  # added to the job process's nice value: polling stays fast
    # HeyGen's default: each speaker's voice is tuned toward them (about 30 s per new speaker
    # here). false: stock voices unless a request names saved voices (a server short of CPU).
    voice_matching: bool = True

    # Scale-out (`polydub worker`): storage_url s3://bucket/prefix keeps media in object storage.
    broker_url: str = "redis://127.0.0.1:6379/0"
    # Seconds before a broker hands an unacknowledged task (its worker died) to another worker;
    # longer than the longest task, or a slow task is run twice (harmless, stages are idempotent).
    broker_visibility_timeout_s: int = 3600
    # Queue of each task kind; route "source" (separation, ASR) or "target" (TTS, render) to a
    # queue that only the machines able to run it consume, e.g. {"source": "gpu"}.
    task_queues: dict[str, str] = Field(default_factory=dict)
    storage_endpoint_url: str | None = None  # an S3-compatible server other than AWS
    storage_region: str = "us-east-1"
    # true: with S3 storage, output URLs are the bucket's own presigned URLs (downloads skip the
    # API machines); the bucket's endpoint must be reachable by clients.
    storage_presigned_urls: bool = False
    blob_cache_bytes: int = 10 * 1024**3  # a worker's local copies of stored media
    # Stage checkpoints kept on this machine, least recently used out first above this (after
    # a job in `polydub serve`, after each task on a worker; with S3 they stay in the bucket).
    work_cache_bytes: int = 20 * 1024**3

    @property
    def synthesis_workers(self) -> int:
        import os

        return self.tts_workers or max(1, os.cpu_count() or 1)

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def matched_voices_dir(self) -> Path:
        """Voices tuned per speaker profile: derived data, safe to delete."""
        return self.cache_dir / "voices"

    @property
    def saved_voices_dir(self) -> Path:
        """The voice registry: matched voices the user saved by name."""
        return self.data_dir / "voices"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'polydub.db'}"


class SettingsError(PolydubError):
    """A POLYDUB_* variable holds a value Polydub cannot use; the message names it."""

    code = "invalid_settings"


def load_settings() -> Settings:
    """Settings from the environment; a bad value raises SettingsError naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        value = first.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
        raise SettingsError(f"{env_name(field)}: {first['msg']}{shown}") from None
    except _SourceError as exc:  # a JSON-valued variable that is not JSON
        field = re.search(r"field \"?(\w+)", str(exc))
        name = env_name(field.group(1)) if field else "a POLYDUB_* variable"
        raise SettingsError(f"{name}: not valid JSON") from None


def env_name(field: str) -> str:
    """The environment variable of a Settings field: job_workers -> POLYDUB_JOB_WORKERS."""
    return ENV_PREFIX + field.upper()


# Values that example files and compose ship with; a server must not run with them.
_PLACEHOLDERS = ("change-me", "changeme", "...", "secret", "password", "polydub-change-me")


def is_placeholder(value: str | None) -> bool:
    """True for a value copied unchanged from an example file."""
    if value is None:
        return False
    lowered = value.strip().lower()
    return lowered in _PLACEHOLDERS or "change-me" in lowered or "changeme" in lowered


def placeholder_secrets(settings: Settings, environ: dict[str, str] | None = None) -> list[str]:
    """The variables (settings and the S3 credentials boto3 reads) holding placeholder
    secrets, including the passwords inside the database and broker URLs."""
    environ = os.environ if environ is None else environ
    found = []
    for field in ("signing_secret", "openai_api_key"):
        secret = getattr(settings, field)
        if secret is not None and is_placeholder(secret.get_secret_value()):
            found.append(env_name(field))
    for field in ("database_url", "broker_url"):
        url = getattr(settings, field)
        if url and is_placeholder(urlsplit(url).password):
            found.append(env_name(field))
    if is_placeholder(environ.get("AWS_SECRET_ACCESS_KEY")):
        found.append("AWS_SECRET_ACCESS_KEY")
    return found


def check_secrets(settings: Settings) -> None:
    """Refuse placeholder secrets in production (SettingsError naming them)."""
    found = placeholder_secrets(settings)
    if found and settings.environment == "development":
        logging.getLogger(__name__).warning(
            "placeholder secret in %s: fine for development, refused in production",
            ", ".join(found),
        )
    elif found:
        raise SettingsError(
            f"placeholder secret in {', '.join(found)}: set a real value "
            f"(POLYDUB_ENVIRONMENT={settings.environment} refuses example values)"
        )
