"""Private clinics apply through ESI, are reviewed (phase 1) or checked at once (phase 2),
and receive credentials.

Rooms: all of them; `services/` is a package (one file per family of operations), `states.py`
the pure state machine, `checks.py` the phase-2 checks, `notifications.py` what the applicant
is told after commit, `receivers.py` its hook on the ESI login."""
