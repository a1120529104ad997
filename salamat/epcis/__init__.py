"""GS1 EPCIS 2.0 capture and query on top of the traceability core (/epcis/).

Rooms: models, services (capture jobs, storage, corrections), apply (what events mean for the
core, applied in order), selectors (queries), views + urls (the HTTP binding), validation and
xmlconv (reading and writing documents), eventhash and vocab (pure). The HTTP endpoints stay in
`views.py`, not a ninja `api.py`: the binding negotiates on content types and GS1 headers
(JSON-LD or XML bodies, `Accept` with quality values, 202 + Location) that a schema-first router
would get in the way of.
"""
