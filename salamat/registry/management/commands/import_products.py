"""`manage.py import_products FILE.csv [--skip-invalid] [--dry-run]`: load the drug registry."""

from salamat.registry.importers import ProductImporter
from salamat.registry.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Import or update products of the drug registry from a CSV file (see docs/registry-import.md). "
        "Re-importing updates products by registration number and never duplicates them."
    )
    importer_class = ProductImporter
