"""Conversions that run once after a pull: Hugging Face checkpoints to CTranslate2.

Opus-MT (Marian) and NLLB checkpoints are PyTorch; the CTranslate2 engine loads a converted
directory (int8, about a quarter of the size). The converter needs transformers and torch,
which dubbing itself does not, so a missing one is a clear error, not a crash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from polydub.errors import PolydubError

# Tokenizer files the CTranslate2 engine reads next to model.bin, per family.
_COPY_FILES = {
    "opus-mt": ("source.spm", "target.spm"),
    "nllb": ("sentencepiece.bpe.model",),
    "m2m": ("sentencepiece.bpe.model",),
}


class ConversionError(PolydubError):
    code = "model_conversion_failed"


def convert_to_ctranslate2(source: Path, output: Path, family: str) -> Path:
    """Convert the checkpoint in `source` into `output` (replaced atomically); returns it.

    Raises:
        ConversionError: transformers/torch are missing, or the converter failed.
    """
    try:
        from ctranslate2.converters import TransformersConverter
    except ImportError as exc:
        raise ConversionError(
            "converting this model needs ctranslate2: pip install ctranslate2"
        ) from exc
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ConversionError(
            f"converting this model to CTranslate2 needs transformers and torch ({exc.name} is "
            "missing): pip install transformers torch, then run the same pull again"
        ) from exc
    copy = [name for name in _COPY_FILES.get(family, ()) if (source / name).is_file()]
    staging = output.with_name(output.name + ".converting")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        TransformersConverter(str(source), copy_files=copy).convert(
            str(staging), quantization="int8", force=True
        )
    except Exception as exc:  # the converter raises whatever transformers raises
        shutil.rmtree(staging, ignore_errors=True)
        raise ConversionError(f"converting {source.parent.name} failed: {exc}") from exc
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    return output
