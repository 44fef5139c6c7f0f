"""Write the reconcile example's month (bill.csv, usage.parquet, rules.yaml) into DIR.

    python examples/reconcile/generate.py DIR
    infercost attribute --bill DIR/bill.csv --usage DIR/usage.parquet --rules DIR/rules.yaml --out DIR/attribution
    infercost reconcile examples/reconcile/scenario.yaml --attribution DIR/attribution
"""

import sys

from infercost.reconciliation.example import generate

if __name__ == "__main__":
    for name, path in generate(sys.argv[1] if len(sys.argv) > 1 else "reconcile-month").items():
        print(f"{name}: {path}")
