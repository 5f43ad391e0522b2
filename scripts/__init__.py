"""Command-line tools: seeding, schema export."""
