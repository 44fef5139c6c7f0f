"""Memory fit: weights + KV cache + activations against device memory.

Per device (tensor parallelism `tp` splits weights and KV heads; KV heads are
replicated when tp > kv_heads):

    usable      = memory_gb x 1e9 x mem_util - reserve_gb x 1e9
    weights     = params x weight_bytes / tp           (16-bit output head for quantised models)
    activations = max_tokens x (4 x hidden + 2 x intermediate) x act_bytes / tp
                  + logits for up to max_batch tokens (vocab x 4 bytes each) / tp
    KV free     = usable - weights - activations
    max concurrent sequences at context c = floor(KV free / (kv_bytes_per_token / kv_split x c)),
    capped at the engine's `max_batch`.

Non-LLMs: items that fit = (usable - weights) / (activation bytes per item), capped at 65,536.
A model whose weights (plus activations) do not fit raises `InputError` naming the shortfall.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.errors import InputError


@dataclass(frozen=True)
class MemoryFit:
    """Bytes per device."""

    usable: float
    weights: float
    activations: float
    kv_per_token: float  # per device, per token of context (0 for non-LLMs)

    @property
    def free(self) -> float:
        return self.usable - self.weights - self.activations

    def to_dict(self) -> dict:
        gb = 1e9
        return {"usable_gb": round(self.usable / gb, 3), "weights_gb": round(self.weights / gb, 3),
                "activations_gb": round(self.activations / gb, 3),
                "kv_free_gb": round(self.free / gb, 3), "kv_bytes_per_token": self.kv_per_token}


def check_fit(fit: MemoryFit, model_id: str, precision: str, hardware_id: str, devices: int) -> None:
    """Raise InputError when the weights and step activations alone exceed usable memory."""
    if fit.free <= 0:
        need = (fit.weights + fit.activations) / 1e9
        have = fit.usable / 1e9
        raise InputError(
            f"model {model_id} in {precision} does not fit on {devices} x {hardware_id}: needs "
            f"{need:.1f} GB per device for weights and activations, {have:.1f} GB usable; "
            f"short by {need - have:.1f} GB per device (add GPUs / tensor parallelism or lower the precision)",
            "deployment.hardware",
        )
