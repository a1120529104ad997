"""Drug traceability: packages, events, shipments, recalls, alerts and stock; the scanning pages.

Every room of the house: `models`, `services/` (a package named by family of operations —
introduce, withdraw, containers, shipments, cancel, regulator, registered — with the shared
machinery in `services/engine.py` and the public surface in its `__init__`), `selectors`, `api`,
`schemas`, `views/` (a package by page family), `admin`, `tests`. Pure rules (the package state
machine, who may do what) live in `rules.py`; set-based PostgreSQL statements in `bulk.py`;
the names of codes shown to people in `labels.py`.
"""
