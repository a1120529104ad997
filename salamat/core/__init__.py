"""The plumbing every module stands on: errors, audit log, settings (`conf`), actors and the
role vocabulary, request context, API plumbing, the navigation registry and page plumbing.

Rooms: no services.py or selectors.py — core owns no domain data; its one write is
`audit.audit_record`, its models the audit log. It imports no other salamat app (the layer
contract in pyproject.toml); what it needs from above is registered with it at start-up
(`actors.actor_source_register`, `nav.register`)."""
