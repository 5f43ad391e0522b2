"""Data access for reads: the per-request loaders and the queries behind them."""
