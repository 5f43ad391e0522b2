"""Popularity: counting views, rolling windows, most viewed and trending."""
