"""Participants (organisations, sites) and the drug registry (products, GTINs, tracking lists),
with their public pages (/registry/…). Below accounts: it knows no people; the actor behind a
page or an import comes from `salamat.core.actors`.

Rooms: all of them, plus `validation.py` (field checks shared by services and importers),
`importers.py` (the CSV imports) and `demo.py` (the demo registry). The pages' URL names stay
in the `web:` namespace (see `urls.py`)."""
