"""Web pages. Thin: read through selectors, write through services, decide nothing in templates."""
