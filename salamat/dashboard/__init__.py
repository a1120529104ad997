"""The regulator's dashboard: movement, stock and availability of medicines, tracked packages, alerts.

Only `views.py` and templates: the dashboard owns no data and writes nothing; every figure is
read through the owning modules' selectors (traceability, registry).
"""
