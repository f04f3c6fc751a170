"""The webhook event types: those Polydub sends, and the names HeyGen's endpoints accept.

GET /v3/webhooks/event-types lists SENT_EVENT_TYPES. An endpoint may subscribe to any of
SUBSCRIBABLE_EVENT_TYPES: Polydub's own plus every name in HeyGen's catalogue (the enum of
POST /v3/webhooks/endpoints), so a filter written for HeyGen registers here unchanged; names
of HeyGen products Polydub does not have (avatar videos, ...) simply never fire. Anything
else is refused.
"""

from __future__ import annotations

# What fires each event Polydub sends (jobs/webhooks.py builds the bodies).
SENT_EVENT_TYPES: dict[str, str] = {
    "video_translate.success": "A video translation completed; event_data.url is its video.",
    "video_translate.fail": "A video translation failed; event_data.failure_message says why.",
    "lipsync.success": "A lip sync completed; event_data.url is its video.",
    "lipsync.fail": "A lip sync failed; event_data.failure_message says why.",
    "batch.finished": "Every item of a translation or lip sync batch finished; event_data "
    "gives the batch's status and each item's.",
}

# HeyGen's catalogue, as its POST /v3/webhooks/endpoints request schema enumerates it.
HEYGEN_EVENT_TYPES: tuple[str, ...] = (
    "avatar_video.success",
    "avatar_video.fail",
    "avatar_video_gif.success",
    "avatar_video_gif.fail",
    "video_translate.success",
    "video_translate.fail",
    "video_translate.preflight.validation_failed",
    "video_translate.preflight.download_failed",
    "personalized_video",
    "instant_avatar.success",
    "instant_avatar.fail",
    "photo_avatar_generation.success",
    "photo_avatar_generation.fail",
    "photo_avatar_train.success",
    "photo_avatar_train.fail",
    "photo_avatar_add_motion.success",
    "photo_avatar_add_motion.fail",
    "proofread_creation.success",
    "proofread_creation.fail",
    "live_avatar.success",
    "live_avatar.fail",
    "avatar_video_caption.success",
    "avatar_video_caption.fail",
    "video_agent.success",
    "video_agent.fail",
    "hyperframes_video.success",
    "hyperframes_video.fail",
    "ai_clipping.success",
    "ai_clipping.fail",
    "batch.finished",
)

SUBSCRIBABLE_EVENT_TYPES: frozenset[str] = frozenset(SENT_EVENT_TYPES) | frozenset(
    HEYGEN_EVENT_TYPES
)


def takes_event(
    events: list[str] | None, entity_filter: str | None, event_type: str, entity_id: str
) -> bool:
    """Whether an endpoint with this filter receives `event_type` of `entity_id`."""
    if entity_filter is not None and entity_filter != entity_id:
        return False
    return events is None or event_type in events
