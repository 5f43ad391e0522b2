"""Data access for reads: the per-request loaders and the queries behind them, each run as
one statement returning plain rows (app/data/sql.py)."""
