"""The one signature mechanism: RFC 8785 canonical JSON signed with ECDSA P-256, verified
against trusted CAs (a stand-in CA in development).

Rooms: no selectors.py, api.py, schemas.py or views — a mechanism other modules call through
`services.py` (`signed_record_create`, `signed_record_verify_again`); it has no pages or
endpoints of its own. `crypto.py` is the cryptography."""
