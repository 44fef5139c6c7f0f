"""Finance engines: 3-year TCO (rent vs buy), placement, P&L per segment, cost roadmap.

Sits above `capacity`, `sim` and `allocation` (it takes their utilisation) and below
`report` / `decide`. Money is Decimal throughout.
"""
