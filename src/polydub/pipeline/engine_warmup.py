"""Load the engines a run's later stages need, in the background, while its first stages run.

A cold run loaded each model on the critical path when its stage began: torch and the
separator at separate, Whisper at transcribe, the speaker encoder and scikit-learn at
diarize, Kokoro and the voice bank at voices (about 4 s of one core on a 60 s dub, with the
other core idle meanwhile; torch and Spleeter alone took 2.5 s between ingest and separate).
Loaded beside ingest and separate, they are ready when their stage starts (the separator
first: its stage comes first; not where the workspace already holds a separation, as in a
re-run or a proofread re-dub, whose separate stage is most likely checkpointed). A worker
that keeps its engines between jobs finds them loaded and this does nothing.

Loading goes through EngineSet's cached properties, so a stage that needs an engine before
the warmup reached it loads it itself (on Python 3.11 a cached property's lock makes that
stage wait for a load already under way rather than load twice). A failure is logged and left
to the stage, which raises it with its own context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from polydub.cancellation import CancelCheck, raise_if_cancelled
from polydub.pipeline.background_work import BackgroundWork
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.engine_set import EngineSet

logger = logging.getLogger(__name__)


def warmup_steps(
    options: DubOptions, engines: EngineSet, *, separated_before: bool = False
) -> list[Callable[[], object]]:
    """What a run with `options` will load, in the order its stages need it; only what it
    will use (no recogniser when the transcript is given, no voices for the user's audio, no
    separator where `separated_before`: the workspace holds a separation already)."""
    steps: list[Callable[[], object]] = []
    if not separated_before:
        steps.append(lambda: engines.separator)
    if options.source_srt is None:
        steps.append(lambda: engines.transcriber)
    steps.append(lambda: engines.speaker_encoder)
    steps.append(_import_clustering)
    if options.dub_audio is None:
        steps.append(lambda: engines.synthesizers)
        if _matches_voices(options, engines):
            steps.append(lambda: engines.speaker_encoders)
            steps.append(lambda: _load_voice_banks(options, engines))
    return steps


def _matches_voices(options: DubOptions, engines: EngineSet) -> bool:
    stock = options.use_stock_voice or options.voice_ids
    return engines.settings.voice_matching and not stock


def _import_clustering() -> None:
    import sklearn.cluster  # noqa: F401 - diarize's KMeans: half a second to import


def _load_voice_banks(options: DubOptions, engines: EngineSet) -> None:
    """Each target's voice bank from the model cache, where it was built before (setup builds
    es, pt, fr); a bank not built yet is left to the voices stage, which builds it."""
    from polydub.engines.voice.voice_bank import probe_language
    from polydub.pipeline.voice_plan import voice_bank

    bank = voice_bank(engines)
    spoken = bank.kokoro.languages()
    for language in {probe_language(t) for t in options.targets if t in spoken}:
        if bank.is_built(language):
            bank.voices(language)


class EngineWarmup(BackgroundWork[None]):
    """One background load of a run's engines (see the module's doc)."""

    def __init__(
        self,
        options: DubOptions,
        engines: EngineSet,
        cancel: CancelCheck,
        *,
        separated_before: bool = False,
    ) -> None:
        super().__init__("engine warmup", cancel, logger)
        self.options, self.engines = options, engines
        self.separated_before = separated_before

    def start(self) -> EngineWarmup:
        self._begin(self._load)
        return self

    def _load(self) -> None:
        steps = warmup_steps(self.options, self.engines, separated_before=self.separated_before)
        for step in steps:
            raise_if_cancelled()  # the run ended (or the job was cancelled): load no more
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - the stage that needs it loads it again
                logger.info("engine warmup: %s; left to its stage", exc)
