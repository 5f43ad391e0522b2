"""Popularity kept up to date: counting views, and the rolling windows and trending scores
that ranking reads."""
