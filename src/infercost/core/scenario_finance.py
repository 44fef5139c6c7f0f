"""Scenario sections for the finance engines: `finance:`, `pipeline:`, `segments:`, `roadmap:`.

All four are optional. `finance:` drives `infercost tco` (buy vs rent over a horizon),
`pipeline:` drives `infercost place` (edge / cloud placement of a multi-component
pipeline), `segments:` drives `infercost pnl` (P&L per customer segment) and `roadmap:`
drives `infercost roadmap` (milestones and projected cost per inference). Units are in
each field's description; money is in the scenario's `currency`, held as Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

NonNegFloat = Annotated[float, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]

#: Every money value a scenario reads is below this many units of its currency (the bound
#: bill rows have too): a larger figure is a typo or a stray exponent, and it would break
#: the exact sums and the tables.
MAX_AMOUNT = Decimal("1e15")


def _below_max(v: Decimal) -> Decimal:
    if v >= MAX_AMOUNT:
        raise ValueError("expected an amount below 1e15 of the currency")
    return v


#: A non-negative money value in the scenario currency (every scenario money key: one validator).
Amount = Annotated[Decimal, Field(ge=0), AfterValidator(_below_max)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# -- finance: ------------------------------------------------------------------------------

class Commitment(_Strict):
    """A cloud commitment (reserved instances / committed use) on the deployment's hardware."""

    term_years: Literal[1, 3] = Field(description="commitment term, years")
    payment: Literal["upfront", "partial", "none"] = Field(
        "none", description="upfront: the whole term paid at its start; partial: half at the start, "
                            "half monthly; none: monthly")
    discount: Fraction = Field(0.0, description="extra discount on the committed rate (e.g. for paying upfront)")
    price_per_gpu_hour: Amount | None = Field(
        None, description="committed price per GPU-hour (default: the catalog's reserved-1y / reserved-3y)")


class Owned(_Strict):
    """Buying the hardware (on-premises or in a colocation facility)."""

    capex_per_gpu: Amount = Field(description="purchase price per GPU, server share included, currency units")
    depreciation_years: PositiveFloat = Field(3.0, description="straight-line depreciation life, years; "
                                                               "hardware is refreshed (bought again) at its end")
    residual: Fraction | None = Field(
        None, description="value left at the end of the life, share of capex (required when the life is "
                          "longer than the horizon)")
    pue: float = Field(1.58, ge=1, description="power usage effectiveness: facility kWh / IT kWh "
                                               "(default: Uptime Institute 2023 survey average, 1.58)")
    power_price_per_kwh: Amount | None = Field(
        None, description="electricity, currency per kWh (default: the catalog's energy price)")
    host_watts_per_gpu: NonNegFloat = Field(
        0.0, description="server share (CPU, memory, NIC, fans) per GPU, W, drawn at any load")
    colo_per_kw_month: Amount = Field(Decimal(0), description="rack space / colocation per provisioned kW per month")
    network_per_month: Amount = Field(Decimal(0), description="network (transit, switches) per month")
    maintenance: Fraction = Field(0.0, description="maintenance and support per year, share of capex")
    staff_fte: NonNegFloat = Field(0.0, description="operations staff for the owned fleet, FTE")
    annual_cost_per_fte: Amount = Field(Decimal(0), description="fully loaded cost of one FTE per year")
    max_gpus: int | None = Field(None, ge=1, description="stated capacity (racks, power): GPUs the site can hold")
    grid_gco2_per_kwh: NonNegFloat | None = Field(
        None, description="grid carbon intensity at the site, gCO2e/kWh (default: the catalog's region figure)")
    region: str | None = Field(None, description="catalog grid region of the site, e.g. us-east4 (plan owned: "
                                                 "without it or grid_gco2_per_kwh, us-east-1 is assumed and "
                                                 "said; never the cloud provider's region)")


class Finance(_Strict):
    """Total cost of ownership over a horizon: rent (cloud plans) against buy (owned)."""

    horizon_months: int = Field(36, ge=1, le=240, description="months compared, 1 to 240 (20 years)")
    discount_rate: float = Field(0.08, ge=0, lt=1, description="annual discount rate for NPV (cost of capital)")
    growth_per_month: float = Field(0.0, ge=-0.5, le=1, description="traffic growth per month, e.g. 0.03 = 3%; "
                                                                    "-0.5 to 1 (-50% to +100% a month)")
    max_utilization: float = Field(
        0.8, gt=0, le=1, description="the fleet grows when modelled utilisation would pass this busy share")
    negotiated_discount: Fraction = Field(0.0, description="discount off the on-demand price (enterprise agreement)")
    cloud_provider: str | None = Field(
        None, description="catalog provider for the rented options (default: deployment.pricing.provider "
                          "unless that is `owned`, then aws)")
    on_demand_price_per_gpu_hour: Amount | None = Field(None, description="override the catalog on-demand price")
    spot_price_per_gpu_hour: Amount | None = Field(None, description="override the catalog spot price")
    spot_interruption_overhead: NonNegFloat | None = Field(
        None, description="extra GPU-hours spot needs for re-runs and replacement warm-up, share of hours "
                          "(default: deployment.spot.preemptions_per_hour x warm-up hours, else 0.05)")
    cloud_region: str | None = Field(None, description="catalog grid region of the cloud (e.g. us-east-1)")
    commitments: list[Commitment] = Field(
        default_factory=lambda: [Commitment(term_years=1), Commitment(term_years=3)],
        description="committed-use options compared (default: 1 and 3 years, paid monthly)")
    owned: Owned | None = Field(None, description="the buy option; without it only rented plans are compared")

    @model_validator(mode="after")
    def _life_vs_horizon(self) -> Finance:
        o = self.owned
        if o is not None and o.residual is None and o.depreciation_years * 12 > self.horizon_months:
            raise ValueError(
                f"owned.depreciation_years ({o.depreciation_years:g}) is longer than horizon_months "
                f"({self.horizon_months}); give owned.residual (share of capex left at end of life)")
        if o is not None and o.staff_fte > 0 and o.annual_cost_per_fte == 0:
            raise ValueError("owned.staff_fte > 0 needs owned.annual_cost_per_fte")
        return self


# -- pipeline: -----------------------------------------------------------------------------

class PlacementOption(_Strict):
    """Somewhere a component can run: an edge node type or a cloud instance."""

    name: str
    kind: Literal["edge", "cloud"]
    on_site: bool = Field(False, description="inside the customer's site (data does not leave it)")
    price_per_gpu_hour: Amount | None = Field(None, description="cloud: rented price per GPU-hour")
    capex_per_node: Amount | None = Field(None, description="edge: purchase price of one node")
    depreciation_years: PositiveFloat = Field(3.0, description="edge: straight-line life, years")
    node_watts: NonNegFloat = Field(0.0, description="edge: average power draw of one node, W")
    power_price_per_kwh: Amount = Field(Decimal(0), description="edge: electricity, currency per kWh")
    gpus_per_node: int = Field(1, ge=1)
    network_latency_ms: NonNegFloat = Field(0.0, description="round trip from the user to this option, ms")
    max_utilization: float = Field(0.7, gt=0, le=1, description="busy share a node is sized for")
    hardware: str | None = Field(None, description="cloud: catalog hardware id, for its power (energy, carbon)")
    region: str | None = Field(None, description="cloud: region, for its grid carbon intensity")

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> PlacementOption:
        """An edge node draws power (its cost and its energy both need `node_watts`); the
        cloud-only keys on an edge option would be ignored, so they are refused."""
        if self.kind == "edge":
            if self.node_watts <= 0:
                raise ValueError("an edge option needs node_watts > 0 (W per node): its power "
                                 "cost and its energy are computed from it")
            cloud_only = [k for k in ("price_per_gpu_hour", "hardware", "region")
                          if getattr(self, k) is not None]
            if cloud_only:
                raise ValueError(f"{', '.join(cloud_only)} "
                                 f"{'applies' if len(cloud_only) == 1 else 'apply'} to cloud options only; an edge "
                                 "site's grid goes in segments[].grid_gco2_per_kwh")
        return self


class ComponentSpec(_Strict):
    """One stage of the pipeline and what it needs on each option."""

    name: str
    service_ms: dict[str, PositiveFloat] = Field(
        description="option name -> GPU-ms per request on that option (options not listed cannot run it)")
    must_stay_on_site: bool = Field(False, description="its input data may not leave the customer's site")


class Transfer(_Strict):
    """Data passed from one component to the next (or to the user: `to: user`)."""

    source: str = Field(description="component name, or `user` (the request's input)")
    target: str = Field(description="component name, or `user` (the response)")
    bytes_per_request: NonNegFloat


class Pipeline(_Strict):
    """A multi-component inference pipeline and where its parts may run."""

    components: list[ComponentSpec] = Field(min_length=1)
    options: list[PlacementOption] = Field(min_length=1)
    transfers: list[Transfer] = Field(default_factory=list)
    egress_per_gb: Amount = Field(Decimal(0), description="price of data leaving a cloud, per GB")
    upload_per_gb: Amount = Field(Decimal(0), description="price of data sent from a site to a cloud, per GB")
    wan_ms: NonNegFloat = Field(0.0, description="added latency each time data crosses between site and cloud, ms")


# -- segments: -----------------------------------------------------------------------------

class SegmentPrice(_Strict):
    per_request: Amount = Field(Decimal(0), description="price per request")
    per_seat_month: Amount = Field(Decimal(0), description="price per seat per month")
    per_month: Amount = Field(Decimal(0), description="flat fee per month")


class Segment(_Strict):
    """A customer segment: its volume, what it pays and its constraints."""

    name: str
    requests_per_month: NonNegFloat
    seats: NonNegFloat = Field(0.0, description="seats billed per month")
    sites: int = Field(0, ge=0, description="customer sites with room for edge nodes (0: cloud only)")
    price: SegmentPrice = Field(default_factory=SegmentPrice)
    cost_per_inference: Amount | None = Field(
        None, description="override: full cost per inference from any engine, no share of the fixed costs "
                          "(default: the pipeline placement or the scenario's estimate, plus a share of "
                          "its fixed costs)")
    edge_depreciation_per_month: Amount = Field(Decimal(0), description="edge hardware at this segment's sites, per month")
    data_on_site: bool = Field(False, description="its data must stay on its site")
    grid_gco2_per_kwh: NonNegFloat | None = Field(
        None, description="grid carbon intensity at its sites, gCO2e per kWh (edge energy; default: us-east-1)")
    latency_budget_ms: PositiveFloat | None = Field(None, description="end-to-end budget per request, ms")
    target_margin: Annotated[float, Field(ge=0, lt=1)] | None = Field(
        None, description="gross margin to reach (0.6 = 60%); below 1, since a 100% margin "
        "needs an infinite price")


# -- roadmap: ------------------------------------------------------------------------------

class Milestone(_Strict):
    """A planned change and its expected effect on the cost per inference."""

    name: str
    month: int = Field(ge=0, description="months from now when it takes effect")
    change: str = Field("", description="what changes: INT8, distillation, a hardware upgrade, ...")
    cost_factor: PositiveFloat = Field(description="multiplier on the cost per inference from then on (0.7 = -30%)")
    one_off_cost: Amount = Field(Decimal(0), description="cost of making the change, paid in its month")


class Roadmap(_Strict):
    months: int = Field(24, ge=1, description="months projected")
    applies_to: Literal["accelerator", "total"] = Field(
        "accelerator", description="what the milestones' cost_factor multiplies: the accelerator part of "
                                   "the cost per inference, or all of it")
    target_cost_per_inference: Amount | None = None
    volume_growth_per_month: float = Field(0.0, gt=-1, description="inference volume growth per month")
    milestones: list[Milestone] = Field(default_factory=list)
