"""A tiny, randomly initialised MarianMT checkpoint, built here as a Hugging Face repository
holds it: a SentencePiece model trained on a few sentences, transformers' Marian model with
one-layer, 16-wide weights. It stands in for Opus-MT (and, renamed, NLLB) where no converted
model ships in a package; its output is gibberish, the tests check the plumbing around it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TinyMarian:
    folder: Path  # the repository: source.spm, target.spm, vocab.json (+ the saved model)
    spm_model: Path  # the trained SentencePiece model
    vocab: dict[str, int]
    tokenizer: object  # transformers.MarianTokenizer
    model: object  # transformers.MarianMTModel, not saved yet: callers set its biases first

    def save(self) -> dict[str, Path]:
        self.model.save_pretrained(self.folder)
        self.tokenizer.save_pretrained(self.folder)
        return {p.name: p for p in self.folder.iterdir() if p.is_file()}


def build_tiny_marian(
    root: Path, corpus: list[str], *, vocab_size: int, language_tokens: tuple[str, ...] = ()
) -> TinyMarian:
    import sentencepiece as spm
    import torch
    import transformers

    text = root / "corpus.txt"
    text.write_text("\n".join(corpus * 4), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(text), model_prefix=str(root / "sp"), vocab_size=vocab_size,
        model_type="unigram", character_coverage=1.0,
        user_defined_symbols=list(language_tokens), eos_id=0, unk_id=1, bos_id=-1, pad_id=-1,
        hard_vocab_limit=False, minloglevel=2,
    )  # fmt: skip
    processor = spm.SentencePieceProcessor(model_file=str(root / "sp.model"))
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    vocab["<pad>"] = len(vocab)
    folder = root / "hf"
    folder.mkdir()
    for name in ("source.spm", "target.spm"):
        shutil.copy(root / "sp.model", folder / name)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = transformers.MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json")
    )
    config = transformers.MarianConfig(
        vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_position_embeddings=256, pad_token_id=vocab["<pad>"],
        eos_token_id=0, decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=0,
        init_std=1.0,  # large weights: the output depends visibly on every input token
        scale_embedding=True,
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.MarianMTModel(config)
    model.eval()
    return TinyMarian(folder, root / "sp.model", vocab, tokenizer, model)
