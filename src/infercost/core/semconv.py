"""Span attribute names infercost reads and writes (OpenTelemetry GenAI conventions first).

Read (first present wins): the GenAI semantic conventions, current and deprecated names
(REFERENCE.md, "Telemetry"), and infercost's own `infercost.*` inputs that a service sets
on an inference span. Written: the cost, as the open proposal names it
(`gen_ai.usage.cost.amount` a double, `.currency`, `.source` local | provider), plus the
exact decimal and its itemised parts under `infercost.cost.*` (docs/tracking.md).
"""

from __future__ import annotations

# -- read ------------------------------------------------------------------------------
#: `infercost.model` first: the model a span was priced as, written by the pricer when
#: the service named it with `model_attribute` (so re-pricing and `attribute` read the
#: model that priced it, not a fine-tune's response name)
PRICED_MODEL = "infercost.model"
MODEL = (PRICED_MODEL, "gen_ai.response.model", "gen_ai.request.model", "llm.response.model",
         "llm.request.model", "llm.model_name")
MODEL_VERSION = ("infercost.model_version", "gen_ai.response.model_version", "service.version")
TENANT = ("infercost.tenant", "tenant.id", "enduser.id", "user.id")
PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                "llm.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                 "llm.usage.completion_tokens", "llm.token_count.completion")
#: attribute prefixes that make a span an inference request
INFERENCE_PREFIXES = ("gen_ai.", "llm.", "vllm.", "infercost.batch.")
OPERATION = "gen_ai.operation.name"
#: `gen_ai.operation.name` well-known values that are not one model call: an agent's
#: creation or run (its span wraps the model calls, which have their own spans; the
#: run's token totals on it would count them twice) and a tool's execution. A span with
#: one of these is not an inference request, whatever other gen_ai.* attributes it has.
#: (The inference operations: chat, text_completion, generate_content, embeddings.)
NOT_INFERENCE_OPERATIONS = frozenset({"create_agent", "invoke_agent", "execute_tool"})


def is_inference_operation(attrs) -> bool:
    """False when the span's `gen_ai.operation.name` names an agent or tool operation
    (`NOT_INFERENCE_OPERATIONS`, compared case-insensitively), else True."""
    op = attrs.get(OPERATION)
    return not (isinstance(op, str) and op.strip().lower() in NOT_INFERENCE_OPERATIONS)

#: input tokens read from the provider's prompt cache, part of the input tokens (priced at
#: the catalog's `cached_input_per_1m` when it has one): the GenAI conventions' name, then
#: OpenLLMetry's (traceloop/openllmetry, opentelemetry-semantic-conventions-ai,
#: `SpanAttributes.LLM_USAGE_CACHE_READ_INPUT_TOKENS`)
CACHE_READ_INPUT_TOKENS = ("gen_ai.usage.cache_read.input_tokens",
                           "gen_ai.usage.cache_read_input_tokens")

BATCH_SIZE = "infercost.batch.size"  # int: requests in the batch the span rode in
BATCH_INDEX = "infercost.batch.index"  # int, 0-based: its place in that batch (exact sums)
CONCURRENCY = "infercost.replica.concurrency"  # int: requests the replica serves at once

# -- written ---------------------------------------------------------------------------
COST_AMOUNT = "gen_ai.usage.cost.amount"  # double
COST_CURRENCY = "gen_ai.usage.cost.currency"  # ISO 4217
COST_SOURCE = "gen_ai.usage.cost.source"  # local | provider
COST_DECIMAL = "infercost.cost.amount_decimal"  # the exact amount, a decimal string
COST_PART = "infercost.cost."  # + busy, idle, human_review, licensing, egress, ... (strings)
BUSY_SHARE_S = "infercost.cost.busy_share_s"  # replica-seconds, a decimal string
DIVISOR = "infercost.cost.divisor"  # int: what the busy time was split by
UNPRICED = "infercost.cost.unpriced_reason"  # why the span has no cost
TABLE_VERSION = "infercost.price_table.version"
SCENARIO = "infercost.scenario"
OUT_TENANT = "infercost.tenant"
OUT_MODEL_VERSION = "infercost.model_version"


def first(attrs, keys) -> object:
    """The first of `keys` present in `attrs` with a non-empty value, else None."""
    for k in keys:
        v = attrs.get(k)
        if v is not None and v != "":
            return v
    return None


# -- hosted providers --------------------------------------------------------------------
#: `gen_ai.provider.name` well-known values of the OpenTelemetry GenAI semantic conventions
#: (registry, "gen_ai.provider.name", status development): each names a hosted model API.
#: A span naming one is a hosted call: priced from its tokens, or left unpriced, never as
#: self-hosted replica time.
WELL_KNOWN_PROVIDERS = frozenset({
    "openai", "azure.ai.openai", "azure.ai.inference", "aws.bedrock", "gcp.vertex_ai",
    "gcp.gemini", "gcp.gen_ai", "anthropic", "cohere", "mistral_ai", "groq", "deepseek",
    "x_ai", "perplexity", "ibm.watsonx.ai"})
#: older `gen_ai.system` values (before `gen_ai.provider.name`) -> the current name
OLD_PROVIDER_NAMES = {"az.ai.openai": "azure.ai.openai", "az.ai.inference": "azure.ai.inference",
                      "vertex_ai": "gcp.vertex_ai", "gemini": "gcp.gemini", "xai": "x_ai",
                      "mistralai": "mistral_ai", "watsonx": "ibm.watsonx.ai"}


def provider_key(name: object) -> str | None:
    """A provider name as compared with the catalog's `api_tokens` providers: lower case,
    trimmed, an older `gen_ai.system` value mapped to its `gen_ai.provider.name`
    ("OpenAI" -> "openai", "az.ai.openai" -> "azure.ai.openai"); None for None or ""."""
    if name is None:
        return None
    k = str(name).strip().lower()
    if not k:
        return None
    return OLD_PROVIDER_NAMES.get(k, k)


def hosted_provider_keys(names) -> frozenset:
    """The `provider_key`s of hosted API providers: the OpenTelemetry GenAI well-known ones
    (`WELL_KNOWN_PROVIDERS`) and `names` (providers a catalog prices per token)."""
    return WELL_KNOWN_PROVIDERS | {provider_key(n) for n in names}
