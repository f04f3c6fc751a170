"""GET /v3/video-translations/languages: what this installation can dub into."""

from __future__ import annotations

from fastapi import APIRouter

from polydub.api.deps import ContextDep, CurrentKey
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.video_translations import LanguageList
from polydub.pipeline.language_routes import language_catalog

router = APIRouter(prefix="/v3/video-translations", tags=["Video Translate"])


@router.get("/languages", response_model=DataEnvelope[LanguageList])
def list_languages(key: CurrentKey, context: ContextDep) -> dict:
    """Target language names for output_languages, with the engines serving each."""
    entries = language_catalog(context.settings, context.engines)
    return {
        "data": {
            "languages": [entry.name for entry in entries],
            "details": [
                {
                    "name": e.name,
                    "code": e.code,
                    "translation": e.translation,
                    "voices": e.voices,
                }
                for e in entries
            ],
        }
    }
