"""Shared facts about the generated demo country (development only)."""

# A development password, printed by `make run`; demo data never exists in production.
DEMO_PASSWORD = "demo-salamat-2026"
