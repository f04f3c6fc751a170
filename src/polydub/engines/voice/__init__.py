"""Speaker encoders (who is speaking, how alike two voices are), found by name.

Each factory imports its engine only when called, like the other engine kinds.
"""

from __future__ import annotations

from polydub.engines.registry import Registry
from polydub.engines.voice.base import SpeakerEncoder

SPEAKER_ENCODERS = Registry[SpeakerEncoder]("speaker encoder")


@SPEAKER_ENCODERS.register("resemblyzer")
def _resemblyzer(*, threads: int | None = None) -> SpeakerEncoder:
    from polydub.engines.voice.resemblyzer_encoder import ResemblyzerEncoder

    return ResemblyzerEncoder(threads=threads)


@SPEAKER_ENCODERS.register("voicefilter-dvector")
def _voicefilter_dvector() -> SpeakerEncoder:
    from polydub.engines.voice.dvector_encoder import VoiceFilterDVectorEncoder

    return VoiceFilterDVectorEncoder()
