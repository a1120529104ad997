"""Unified patient record: one record per person across every clinic, in HL7 FHIR R4.

Rooms: `models` (patient index, resources with every version, documents, access log, code
lists), `services/` (every write: patients, write, transaction, link, codelists; the package's
`__init__` is the public surface), `selectors` (reads: search, history, record), `access` (the
ONE read decision, `access_decide`, and the access log), `codelists` (code lookups, titles with
visible fallback), `fhir/` (the REST endpoint under /fhir/).

Why plain Django views for FHIR rather than django-ninja: FHIR has its own wire format — a
resource type named in the path, polymorphic JSON validated by `fhir.resources`, Bundles,
`OperationOutcome` errors with FHIRPath expressions, `ETag`/`If-Match`/`If-None-Exist`, and its
own self-description (the CapabilityStatement at /fhir/metadata, built from the same table the
views dispatch on). Ninja's schemas, OpenAPI and `{code, message, details}` error shape would
all have to be bent or bypassed; thin views with one error mapper (`fhir/outcome.py`) are
smaller and say exactly what FHIR says.
"""
