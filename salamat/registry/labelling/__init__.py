"""Labelling schemes in the registry: the table the regulator edits (models in
`salamat.registry.models`), the services that change it, and the provider that hands the
active schemes to the pure parser (`salamat.codes.schemes.set_provider`)."""
