"""Salamat: the national e-health platform."""
