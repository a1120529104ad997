"""`manage.py import_organizations FILE.csv [--skip-invalid] [--dry-run]`: load participants."""

from salamat.registry.importers import OrganizationImporter
from salamat.registry.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Import or update participants (organisations with their main site) from a CSV file "
        "(see docs/registry-import.md). Re-importing updates organisations by tax ID."
    )
    importer_class = OrganizationImporter
