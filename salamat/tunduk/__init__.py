"""The one adapter to other state registries (population, legal entities, licences) over
Tunduk / X-Road, with local stand-in tables in development.

Rooms: no services.py, selectors.py, api.py or views — other modules read the registries
through `adapters.py` only; its models are the stand-ins' tables, filled by the import
commands (`csv_import.py`)."""
