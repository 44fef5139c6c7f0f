"""Counting work: FLOPs, bytes moved and kernel launches for one step of a model.

Units: FLOPs (one multiply-add = 2 FLOPs), bytes, counts. All figures are for one
device when tensor parallelism `tp` > 1 (Megatron-style: the linear layers and attention
heads are split `tp` ways, norms and residual adds are replicated, two all-reduces of
`tokens x hidden` activations per layer).

Decoder LLMs (dense or MoE; multi-head, grouped-query or multi-query attention), with
``q = heads x head_dim`` and ``kv = kv_heads x head_dim``:

- linear parameters per layer  = hidden x (2q + 2kv)  [q, k, v, o projections]
  + experts x 3 x hidden x intermediate  (gated SwiGLU MLP; 2 x for ungated encoders)
  + hidden x experts  (router, MoE only);
- total parameters = layers x (linear + 2 x hidden norms) + vocab x hidden x (1 if tied else 2) + hidden;
- linear FLOPs per token = 2 x active linear parameters x layers (+ 2 x vocab x hidden for
  each token whose logits are computed: the last prompt token in prefill, every token in decode);
- attention FLOPs per layer for one sequence = 4 x q x (new x past + new x (new + 1) / 2)
  (QK^T and PV, causal); encoders: 4 x q x seq^2 (bidirectional);
- KV cache bytes per token = 2 x layers x kv_heads x head_dim x kv_bytes
  (Llama-3.1-8B in bf16: 2 x 32 x 8 x 128 x 2 = 131,072 bytes);
- bytes per step = weights streamed once (all linear weights; MoE: the experts that the
  step's tokens touch, expected E x (1 - (1 - k/E)^T)) + KV read (x the engine's
  `kv_read_factor`) + KV written + GEMM activation in/out + elementwise traffic
  (`act_passes_hidden` x hidden + `act_passes_inter` x intermediate per token per layer,
  in activation bytes) + logits.

The embedding table is part of the memory footprint but is not streamed (a gather of
`tokens` rows), so decode bytes for Llama-3.1-8B bf16 are (params - vocab x hidden) x 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infercost.errors import InputError
from infercost.perf.precision import Precision


@dataclass
class OpGroup:
    """One class of work in a step.

    kind: ``gemm`` (weight matmuls), ``attn`` (attention), ``elem`` (elementwise / norms),
    ``conv`` (convolutions), ``comm`` (all-reduce; `bytes` = payload per device, `count` = calls).
    """

    name: str
    kind: str
    flops: float = 0.0
    bytes: float = 0.0
    count: float = 0.0
    weight_bytes: float = 0.0  # the part of `bytes` that is weights streamed by matmuls
    resident_bytes: float = 0.0  # the part of `bytes` that is activation traffic (may stay in L2)
    working_set: float = 0.0  # bytes live at once in one op of the group (L2 residency test)
    eff_scale: float = 1.0  # multiplies the group's compute rate (e.g. small expert GEMMs)


@dataclass
class StepWork:
    """The work of one step (a forward pass), per device, plus its host kernel launches."""

    groups: list[OpGroup] = field(default_factory=list)
    kernels: float = 0.0  # host-side kernel launches / framework ops in the step
    phase: str = "decode"  # prefill | decode | mixed | encoder | vision | generic

    @property
    def flops(self) -> float:
        return sum(g.flops for g in self.groups)

    @property
    def bytes(self) -> float:
        return sum(g.bytes for g in self.groups if g.kind != "comm")


@dataclass(frozen=True)
class Shape:
    """Transformer dimensions (decoders and encoders)."""

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    experts: int = 1
    experts_per_token: int = 1
    tied: bool = False
    gated: bool = True  # SwiGLU (3 matrices) vs GELU MLP (2 matrices)
    causal: bool = True
    shared_experts: int = 0  # always-on experts of `intermediate` width (MoE layers)
    dense_layers: int = 0  # first layers with a dense MLP of `dense_intermediate`
    dense_intermediate: int = 0
    kv_cache_dim: int = 0  # elements cached per token per layer, K and V (0: 2 x kv_heads x head_dim)
    mla: bool = False  # multi-head latent attention (DeepSeek-V2/V3)
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> float:
        """Elements of K (or of V) per token per layer; MLA: half the cached latent."""
        if self.kv_cache_dim:
            return self.kv_cache_dim / 2
        return self.kv_heads * self.head_dim

    @property
    def attn_params(self) -> int:
        """q, k, v, o projection weights of one layer.

        MLA (DeepSeek-V3): hidden x q_lora + q_lora x heads x (head_dim + rope)
        + hidden x (kv_lora + rope) + kv_lora x heads x 2 head_dim + heads x head_dim x hidden
        (187,105,280 for DeepSeek-V3)."""
        if self.mla:
            h, r = self.heads, self.qk_rope_head_dim
            q = (self.hidden * self.q_lora_rank + self.q_lora_rank * h * (self.head_dim + r)) if self.q_lora_rank \
                else self.hidden * h * (self.head_dim + r)
            kv = self.hidden * (self.kv_lora_rank + r) + self.kv_lora_rank * h * 2 * self.head_dim
            return q + kv + h * self.head_dim * self.hidden
        return self.hidden * (2 * self.q_dim + 2 * self.kv_dim)

    @property
    def attn_flops_per_pair(self) -> float:
        """FLOPs of attention per (query token, key token) pair in one layer: 2 x heads x
        (qk width + v width); MLA decodes in the latent space (weights absorbed):
        qk width kv_lora + rope, v width kv_lora."""
        if self.mla:
            return 2.0 * self.heads * (self.kv_lora_rank + self.qk_rope_head_dim + self.kv_lora_rank)
        return 4.0 * self.q_dim

    def kv_split(self, tp: int) -> float:
        """Fraction of the KV cache one of `tp` ranks holds: heads split, replicated when
        tp > kv_heads; an MLA latent is shared by all heads and replicated on every rank."""
        if self.mla:
            return 1.0
        return max(1.0 / tp, 1.0 / self.kv_heads)

    @property
    def expert_params(self) -> int:
        """One expert's MLP weights (the whole MLP for dense models)."""
        return (3 if self.gated else 2) * self.hidden * self.intermediate

    @property
    def router_params(self) -> int:
        return self.hidden * self.experts if self.experts > 1 else 0

    @property
    def layer_linear_params(self) -> int:
        return self.attn_params + self.experts * self.expert_params + self.router_params

    @property
    def active_layer_linear_params(self) -> int:
        return self.attn_params + self.experts_per_token * self.expert_params + self.router_params

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def total_params(self) -> int:
        """All parameters of a decoder (norm weights included, biases none)."""
        per_layer = self.layer_linear_params + 2 * self.hidden
        emb = self.embedding_params * (1 if self.tied else 2)
        return self.layers * per_layer + emb + self.hidden

    def kv_bytes_per_token(self, kv_bytes: float = 2.0) -> float:
        """K and V for one token across all layers (bytes); `kv_cache_dim` when given (MLA)."""
        return 2.0 * self.layers * self.kv_dim * kv_bytes


def shape_of(arch) -> Shape:
    """The transformer dimensions of a catalog `ModelArch` (decoder or encoder)."""
    need = ("layers", "hidden", "heads", "intermediate")
    missing = [k for k in need if not getattr(arch, k, 0)]
    if missing:
        raise InputError(f"model {arch.id!r} ({arch.family}) lacks {', '.join(missing)}",
                         f"model {arch.id}")
    heads = int(arch.heads)
    head_dim = int(arch.head_dim or arch.hidden // heads)
    kv_heads = int(arch.kv_heads or heads)
    return Shape(
        layers=int(arch.layers), hidden=int(arch.hidden), heads=heads, kv_heads=kv_heads,
        head_dim=head_dim, intermediate=int(arch.intermediate), vocab=int(arch.vocab or 0),
        experts=int(arch.experts or 1), experts_per_token=int(arch.experts_per_token or 1),
        tied=bool(arch.tied_embeddings), gated=arch.family == "decoder",
        causal=arch.family == "decoder",
        shared_experts=int(getattr(arch, "shared_experts", 0) or 0),
        dense_layers=int(getattr(arch, "dense_layers", 0) or 0),
        dense_intermediate=int(getattr(arch, "dense_intermediate", 0) or 0),
        kv_cache_dim=int(getattr(arch, "kv_cache_dim", 0) or 0),
        mla=str(getattr(arch, "attention", "") or "").lower() == "mla",
        q_lora_rank=int(getattr(arch, "q_lora_rank", 0) or 0),
        kv_lora_rank=int(getattr(arch, "kv_lora_rank", 0) or 0),
        qk_rope_head_dim=int(getattr(arch, "qk_rope_head_dim", 0) or 0),
    )


@dataclass(frozen=True)
class Traffic:
    """Engine-dependent memory traffic and launch counts (see `efficiency.Efficiency`)."""

    act_passes_hidden: float = 8.0
    act_passes_inter: float = 3.0
    kv_read_factor: float = 1.0
    kernels_per_layer: float = 12.0
    kernels_fixed: float = 10.0
    kernels_per_conv: float = 1.0
    encoder_passes_hidden: float = 6.0
    encoder_passes_inter: float = 2.0
    fused_conv: bool = True


def _lm_bytes(prec: Precision) -> float:
    # quantised checkpoints keep the output head in 16-bit (ModelOpt, AWQ, GPTQ defaults)
    return max(prec.weight_bytes, 2.0) if prec.weight_bytes < 2 else prec.weight_bytes


def streamed_weight_bytes(s: Shape, prec: Precision) -> float:
    """Weight bytes a dense decode step streams: all layer linear weights + the output head
    (the embedding table is gathered, not streamed; norm weights are negligible)."""
    return s.layers * s.layer_linear_params * prec.weight_bytes + s.vocab * s.hidden * _lm_bytes(prec)


def decoder_work(
    s: Shape,
    prec: Precision,
    seqs: list[tuple[float, float, float]],
    *,
    logits_tokens: float,
    tp: int = 1,
    traffic: Traffic = Traffic(),
    phase: str = "decode",
    kv_bytes: float | None = None,
    q_tile: float = 1.0,
    moe_m_half: float = 32.0,
    moe_kernels: float = 6.0,
) -> StepWork:
    """Work of one decoder step over `seqs`: (count, new_tokens, past_context) triples.

    Prefill of b prompts of length p: [(b, p, 0)]; a decode step of b sequences at
    context c: [(b, 1, c)]; a continuous-batching step mixes both.

    `q_tile`: query rows an attention kernel computes per query head for a decode token
    (1 for split-KV decode kernels; a prefill kernel run at one query pads to its tile).
    MoE: the expert matmuls form their own group whose compute rate is scaled by
    ``m / (m + moe_m_half)``, m = tokens per expert per step = T x k / E (a grouped GEMM
    with few rows per expert runs far below peak); routing adds `moe_kernels` launches per
    layer and a permute + unpermute of the routed activations (4 passes of T x k x hidden).
    """
    tp = max(1, int(tp))
    kvb = prec.act_bytes if kv_bytes is None else kv_bytes
    ab = prec.act_bytes
    L = s.layers
    T = sum(n * t for n, t, _ in seqs)
    if T <= 0:
        raise InputError("a step needs at least one token")
    # linear layers
    moe = s.experts > 1
    mlp_w = (3 if s.gated else 2)
    moe_layers = L - s.dense_layers if moe else 0
    dense_mlp = mlp_w * s.hidden * (s.dense_intermediate or s.intermediate)
    # per-model totals over all layers: attention + dense MLPs (+ router and shared experts of MoE layers)
    dense_total = (s.attn_params * L + (L - moe_layers) * (dense_mlp if moe else s.expert_params)
                   + moe_layers * (s.router_params + s.shared_experts * s.expert_params))
    lin_flops = 2.0 * dense_total * T / tp
    io_dims = 4 * s.hidden + 2 * s.q_dim + 2 * s.kv_dim
    mlp_io = mlp_w * s.intermediate * s.experts_per_token
    if not moe:
        io_dims += mlp_io
    lin_w = dense_total * prec.weight_bytes / tp
    lin_io = T * io_dims * ab * L / tp
    lin_bytes = lin_w + lin_io
    # attention
    kv_frac = s.kv_split(tp)
    pair = s.attn_flops_per_pair
    attn_flops = 0.0
    kv_read = 0.0
    qo_bytes = 0.0
    for n, t, past in seqs:
        attn_flops += n * pair * (t * past + t * (t + 1) / 2.0) * L / tp
        kv_read += n * (past * traffic.kv_read_factor + t) * s.kv_dim * 2 * kvb * L * kv_frac
        qo_bytes += n * t * 2 * s.q_dim * ab * L / tp
        if t == 1 and past > 0 and q_tile > 1:
            attn_flops += n * pair * past * (q_tile - 1.0) * L / tp
    kv_write = T * s.kv_dim * 2 * kvb * L * kv_frac
    # elementwise (norms, rotary, activation, residual adds)
    elem = T * L * ab * (traffic.act_passes_hidden * s.hidden
                         + traffic.act_passes_inter * s.intermediate * s.experts_per_token / tp)
    # output head
    lm_flops = 2.0 * s.vocab * s.hidden * logits_tokens / tp
    lm_w = s.vocab * s.hidden * _lm_bytes(prec) / tp
    lm_bytes = lm_w + logits_tokens * s.vocab * 4 / tp
    ws = T * (s.hidden + s.intermediate * s.experts_per_token / tp) * ab * 2
    groups = [
        OpGroup("linear", "gemm", lin_flops, lin_bytes, weight_bytes=lin_w, resident_bytes=lin_io, working_set=ws),
        OpGroup("attention", "attn", attn_flops, kv_read + kv_write + qo_bytes),
        OpGroup("elementwise", "elem", 0.0, elem, resident_bytes=elem, working_set=ws),
        OpGroup("lm_head", "gemm", lm_flops, lm_bytes, weight_bytes=lm_w),
    ]
    kernels = traffic.kernels_per_layer * L + traffic.kernels_fixed
    if moe:
        touched = s.experts * (1.0 - (1.0 - s.experts_per_token / s.experts) ** T)
        ex_w = touched * s.expert_params * prec.weight_bytes * moe_layers / tp
        ex_io = T * mlp_io * ab * moe_layers / tp
        per_expert = T * s.experts_per_token / s.experts
        scale = per_expert / (per_expert + moe_m_half) if moe_m_half > 0 else 1.0
        groups.insert(1, OpGroup("experts", "gemm", 2.0 * s.experts_per_token * s.expert_params * moe_layers * T / tp,
                                 ex_w + ex_io, weight_bytes=ex_w, resident_bytes=ex_io, working_set=ws,
                                 eff_scale=max(scale, 1e-3)))
        route = 4.0 * T * s.experts_per_token * s.hidden * ab * moe_layers
        groups.append(OpGroup("routing", "elem", 0.0, route, resident_bytes=route, working_set=ws))
        kernels += moe_kernels * moe_layers
    if tp > 1:
        groups.append(OpGroup("allreduce", "comm", 0.0, 2 * L * T * s.hidden * ab, 2 * L))
    return StepWork(groups, kernels, phase)


def encoder_work(s: Shape, prec: Precision, batch: float, seq: float, *, tp: int = 1,
                 traffic: Traffic = Traffic()) -> StepWork:
    """One forward of `batch` sequences of `seq` tokens through a bidirectional encoder."""
    tp = max(1, int(tp))
    ab = prec.act_bytes
    L = s.layers
    T = batch * seq
    lin_flops = 2.0 * s.layer_linear_params * L * T / tp
    io_dims = 4 * s.hidden + 2 * s.q_dim + 2 * s.kv_dim + 3 * s.intermediate
    lin_w = s.layer_linear_params * prec.weight_bytes * L / tp
    lin_bytes = lin_w + T * io_dims * ab * L / tp
    attn_flops = batch * 4.0 * s.q_dim * seq * seq * L / tp
    attn_bytes = T * (2 * s.q_dim + 2 * s.kv_dim) * ab * L / tp
    elem = T * L * ab * (traffic.encoder_passes_hidden * s.hidden
                         + traffic.encoder_passes_inter * s.intermediate / tp)
    ws = seq * batch * (s.hidden + s.intermediate / tp) * ab * 2
    groups = [OpGroup("linear", "gemm", lin_flops, lin_bytes, weight_bytes=lin_w,
                      resident_bytes=lin_bytes - lin_w, working_set=ws),
              OpGroup("attention", "attn", attn_flops, attn_bytes, resident_bytes=attn_bytes, working_set=ws),
              OpGroup("elementwise", "elem", 0.0, elem, resident_bytes=elem, working_set=ws)]
    if tp > 1:
        groups.append(OpGroup("allreduce", "comm", 0.0, 2 * L * T * s.hidden * ab, 2 * L))
    # a BERT layer has about half the ops of a Llama layer (no rotary, no fp32 RMSNorm upcast)
    return StepWork(groups, 0.5 * traffic.kernels_per_layer * L + traffic.kernels_fixed, "encoder")


# -- vision (ResNet family) -----------------------------------------------------------

_RESNET_BLOCKS = {18: (False, (2, 2, 2, 2)), 34: (False, (3, 4, 6, 3)), 50: (True, (3, 4, 6, 3)),
                  101: (True, (3, 4, 23, 3)), 152: (True, (3, 8, 36, 3))}


def resnet_convs(depth: int = 50, image: int = 224) -> list[tuple[int, int, int, int, int]]:
    """Convolutions of a torchvision ResNet: (c_in, c_out, kernel, h_in, h_out) each.

    The stem (7x7/2 + 3x3/2 max-pool), the bottleneck (1x1, 3x3, 1x1) or basic (3x3, 3x3)
    blocks with stride on the 3x3 (ResNet v1.5) and 1x1 projection shortcuts.
    """
    if depth not in _RESNET_BLOCKS:
        raise InputError(f"ResNet depth {depth} unknown; allowed: {sorted(_RESNET_BLOCKS)}")
    bottleneck, blocks = _RESNET_BLOCKS[depth]
    out: list[tuple[int, int, int, int, int]] = []
    h = image // 2
    out.append((3, 64, 7, image, h))
    h //= 2  # max-pool
    cin = 64
    for stage, n in enumerate(blocks):
        width = 64 * 2 ** stage
        cout = width * (4 if bottleneck else 1)
        for b in range(n):
            stride = 2 if (b == 0 and stage > 0) else 1
            ho = h // stride
            if bottleneck:
                out += [(cin, width, 1, h, h), (width, width, 3, h, ho), (width, cout, 1, ho, ho)]
            else:
                out += [(cin, width, 3, h, ho), (width, cout, 3, ho, ho)]
            if b == 0 and (stride != 1 or cin != cout):
                out.append((cin, cout, 1, h, ho))
            cin, h = cout, ho
    return out


def resnet_counts(depth: int = 50, image: int = 224) -> dict[str, float]:
    """MACs, conv weights, conv input/output activation elements and layer count per image."""
    convs = resnet_convs(depth, image)
    macs = sum(ci * co * k * k * ho * ho for ci, co, k, _, ho in convs)
    weights = sum(ci * co * k * k for ci, co, k, _, _ in convs)
    act_in = sum(ci * hi * hi for ci, _, _, hi, _ in convs)
    act_out = sum(co * ho * ho for _, co, _, _, ho in convs)
    feat = convs[-1][1]
    macs += feat * 1000
    weights += feat * 1000
    return {"macs": float(macs), "weights": float(weights), "act_in": float(act_in),
            "act_out": float(act_out), "convs": float(len(convs))}


def resnet_depth(arch) -> int | None:
    """The ResNet depth of a catalog model (id or name like resnet50), or None."""
    import re

    m = re.search(r"resnet-?(\d+)", f"{arch.id} {arch.name}".lower())
    if m and int(m.group(1)) in _RESNET_BLOCKS:
        return int(m.group(1))
    return None


def vision_work(arch, prec: Precision, batch: float, *, traffic: Traffic = Traffic(),
                image: int = 224) -> StepWork:
    """One forward of `batch` images through a vision model.

    ResNets are counted layer by layer (`resnet_counts`); eager execution adds batch-norm
    and ReLU passes over every conv output (read + write each) and the residual adds;
    a fused engine (`traffic.fused_conv`) reads conv inputs and writes outputs once.
    Other vision models use `flops_per_item` and `bytes_per_item` from the catalog.
    """
    ab = prec.act_bytes
    depth = resnet_depth(arch)
    if depth is not None:
        c = resnet_counts(depth, image)
        flops = 2.0 * c["macs"] * batch
        wbytes = c["weights"] * prec.weight_bytes
        conv_io = (c["act_in"] + c["act_out"]) * ab * batch
        # eager: batch-norm read+write and ReLU read+write of every conv output, plus the
        # residual add (read 2, write 1 per block, about one pass per conv on average)
        passes = 0.0 if traffic.fused_conv else 5.0
        elem = c["act_out"] * passes * ab * batch
        kernels = c["convs"] * traffic.kernels_per_conv + traffic.kernels_fixed
        ws = max(ci * hi * hi + co * ho * ho for ci, co, _, hi, ho in resnet_convs(depth, image)) * ab * batch
        return StepWork([OpGroup("conv", "conv", flops, wbytes + conv_io, weight_bytes=wbytes,
                                 resident_bytes=conv_io, working_set=ws),
                         OpGroup("elementwise", "elem", 0.0, elem, resident_bytes=elem, working_set=ws)],
                        kernels, "vision")
    return generic_work(arch, prec, batch, traffic=traffic, phase="vision")


def generic_work(arch, prec: Precision, batch: float, *, traffic: Traffic = Traffic(),
                 phase: str = "generic") -> StepWork:
    """A model given only FLOPs and bytes per item (catalog `flops_per_item`, `bytes_per_item`).

    Work = batch x flops_per_item FLOPs; bytes = params x weight bytes (read once per batch)
    + batch x bytes_per_item; launches = layers x kernels_per_layer (layers defaults to 10).
    """
    if not getattr(arch, "flops_per_item", 0):
        raise InputError(f"model {arch.id!r} ({arch.family}) needs flops_per_item", f"model {arch.id}")
    flops = float(arch.flops_per_item) * batch
    byts = float(arch.params) * prec.weight_bytes + float(arch.bytes_per_item or 0) * batch
    kernels = (arch.layers or 10) * traffic.kernels_per_layer + traffic.kernels_fixed
    wb = float(arch.params) * prec.weight_bytes
    return StepWork([OpGroup("compute", "conv" if phase == "vision" else "gemm", flops, byts, weight_bytes=wb)],
                    kernels, phase)


# -- recommenders (DLRM style) ---------------------------------------------------------

@dataclass(frozen=True)
class RecShape:
    """A DLRM-style recommender (per item = one user-item sample), from the catalog fields
    `embedding_rows` (rows per sparse table), `embedding_dim`, `lookups_per_item` (rows
    gathered per table, multi-hot sizes), `dense_features`, `bottom_mlp`, `top_mlp` (layer
    widths), `cross_layers`, `cross_rank` (DCNv2 low-rank cross network; 0 = DLRM dot
    interaction).

    dense_params: MLP + cross-network weights; dense_macs: their multiply-adds per item.
    """

    tables: int
    dim: int
    lookups: float
    dense_params: float
    dense_macs: float
    layers: int
    interaction: str = "dot"


def _mlp(widths, d_in: int) -> tuple[float, int]:
    params, d = 0.0, d_in
    for w in widths:
        params += d * w + w
        d = w
    return params, d


def rec_shape(arch) -> RecShape:
    """Read a catalog recommender (see `RecShape`); InputError names the missing fields."""
    rows = tuple(getattr(arch, "embedding_rows", ()) or ())
    dim = int(getattr(arch, "embedding_dim", 0) or 0)
    missing = [k for k, v in (("embedding_rows", rows), ("embedding_dim", dim),
                              ("bottom_mlp", getattr(arch, "bottom_mlp", ())),
                              ("top_mlp", getattr(arch, "top_mlp", ()))) if not v]
    if missing:
        raise InputError(f"model {arch.id!r} (recommender) lacks {', '.join(missing)}", f"model {arch.id}")
    tables = len(rows)
    hots = tuple(getattr(arch, "lookups_per_item", ()) or ()) or (1,) * tables
    bottom, d = _mlp(arch.bottom_mlp, int(getattr(arch, "dense_features", 0) or 0))
    cross_l, cross_r = int(getattr(arch, "cross_layers", 0) or 0), int(getattr(arch, "cross_rank", 0) or 0)
    width = d + tables * dim
    if cross_l:
        cross = cross_l * (2 * width * cross_r + width)
        inter_out, interaction = width, "dcn"
        inter_macs = cross_l * 2 * width * cross_r
    else:
        cross, interaction = 0.0, "dot"
        inter_out = d + (tables + 1) * tables // 2
        inter_macs = (tables + 1) ** 2 * dim / 2
    top, _ = _mlp(arch.top_mlp, inter_out)
    dense = bottom + cross + top
    layers = len(arch.bottom_mlp) + len(arch.top_mlp) + cross_l
    return RecShape(tables, dim, float(sum(hots)), dense, dense - cross + inter_macs, layers, interaction)


def recommender_work(arch, prec: Precision, batch: float, *, traffic: Traffic = Traffic(),
                     tp: int = 1) -> StepWork:
    """One forward of `batch` samples through a DLRM-style recommender.

    - embedding gathers: batch x sum(lookups_per_item) x embedding_dim x weight_bytes bytes,
      no FLOPs, kind ``gather`` (random rows of a multi-GB table never stay in cache, and a
      gather reaches only `gather_eff` of the copy bandwidth);
    - dense part (bottom MLP, interaction / DCNv2 cross layers, top MLP): 2 x MACs FLOPs per
      item (the catalog's `flops_per_item` when given), weights read once per batch;
    - launches: 3 per dense layer + the table lookups (one fused kernel in a fused engine,
      one per table in eager mode);
    - `tp` > 1 devices (TorchRec-style sharding): each device holds 1/tp of the tables and
      serves 1/tp of the lookups and of the dense work, and the pooled embeddings are
      exchanged in an all-to-all of batch x tables x dim activations (kind ``comm``).
    """
    r = rec_shape(arch)
    tp = max(1, int(tp))
    ab = prec.act_bytes
    gather = batch * r.lookups * r.dim * prec.weight_bytes / tp
    flops = float(getattr(arch, "flops_per_item", 0) or 0) or 2.0 * r.dense_macs
    w = r.dense_params * prec.weight_bytes
    act = batch * (r.tables + 1) * r.dim * ab * 4 / tp
    kernels = r.layers * 3 + (1 if traffic.fused_conv else r.tables) + traffic.kernels_fixed
    groups = [OpGroup("embedding", "gather", 0.0, gather),
              OpGroup("dense", "gemm", flops * batch / tp, w + act, weight_bytes=w,
                      resident_bytes=act, working_set=act)]
    if tp > 1:
        # all-to-all: a device sends (tp-1)/tp of its pooled outputs; expressed as the payload
        # an all-reduce of the same cost would carry (2 (tp-1)/tp x bytes in the comm formula)
        groups.append(OpGroup("all_to_all", "comm", 0.0, batch * r.tables * r.dim * ab / tp / 2, 1))
    return StepWork(groups, kernels, "generic")
