"""Package codes (pure: no Django). Parsing, normalising and rendering any package code."""
