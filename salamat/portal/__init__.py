"""Citizen pages: check a medicine package (/check, /p/<serial>), report a suspect one, where to buy.

No `schemas.py`: the public API's answers are documented in `api.py` beside the endpoints. No
`admin.py`: its only table (the check log) is read through the dashboard. Everything about a
package is read through traceability's selectors and products through registry's.
"""
