"""Electronic sick leave: issued by doctors, verified by employers and the social fund, seen
by the patient; PDF with QR; FHIR Composition.

Rooms: all of them, plus `rules.py` (pure rules table) and `fhir.py` + `fhir_urls.py`: FHIR has
its own wire format (resources, `application/fhir+json`, OperationOutcome errors), so it is
served apart from the ninja `api.py`."""
