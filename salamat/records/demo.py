"""Demo records for development (idempotent, a few seconds): a few thousand fictional patients
with histories over several demo clinics, so that every record page has something to show.

The people are put into the population registry stand-in first (obviously invented names,
PINs of the right shape), so the record's patient index holds them as it holds anyone.
Histories come from `salamat.records.synthetic`; they are written with `bulk_create`
(a demo load, like the benchmark's COPY, not clinical input: the pages and the FHIR API
write through the services). The demo doctors' clinics both treat a share of the patients
(a recent visit in each), so each demo doctor opens patients that the other clinic treated too.
The stand-in ESI's citizens and the sick-leave demo's people get histories as well, and every
demo sick leave gets the visit it was opened at.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from salamat.accounts.models import Membership, Role
from salamat.records.models import Patient, Resource, ResourceVersion, Sex
from salamat.records.synthetic import Clinic, Synth, history
from salamat.registry.demo import primary_organization
from salamat.registry.models import Organization, OrganizationStatus, OrganizationType
from salamat.sickleave.models import SickLeave
from salamat.tunduk.models import RegistryPerson
from salamat.tunduk.seed import pin_for

DEMO_PATIENTS = 3000
SERIAL_BASE = 60000  # PIN serials of the generated demo people (the seeded ones use 90000+)
_FAMILY = ("Testov", "Demoev", "Primerov", "Obraztsov", "Fiktivov", "Vymyshlenov", "Samplev", "Maketov",
           "Chernovikov", "Shablonov", "Proboev", "Uchebnov")  # fmt: skip
_GIVEN_F = (
    "Aigul",
    "Cholpon",
    "Elnura",
    "Gulnara",
    "Nazgul",
    "Aizada",
    "Meerim",
    "Asel",
    "Begimai",
    "Dinara",
)
_GIVEN_M = ("Bakyt", "Daniyar", "Farhat", "Nurlan", "Azamat", "Erlan", "Timur", "Kubat", "Ulan", "Marat")


def _family(base: str, sex: str) -> str:
    return base + "a" if sex == Sex.FEMALE else base


def _people(n: int, rng: random.Random) -> list[RegistryPerson]:
    today = timezone.localdate()
    people = []
    for i in range(n):
        sex = Sex.FEMALE if i % 2 == 0 else Sex.MALE
        born = date(1940, 1, 1) + timedelta(days=rng.randrange((today - date(1940, 1, 1)).days - 365))
        people.append(
            RegistryPerson(
                pin=pin_for(sex, born, SERIAL_BASE + i),
                family_name=_family(rng.choice(_FAMILY), sex),
                given_name=rng.choice(_GIVEN_F if sex == Sex.FEMALE else _GIVEN_M),
                middle_name="",
                birth_date=born,
                sex=sex,
            )
        )
    return people


def _clinic(org: Organization, index: int) -> Clinic:
    doctor = (
        Membership.objects.filter(organization=org, role=Role.DOCTOR, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return Clinic(
        index=index,
        external_id=str(org.external_id),
        name=org.name,
        practitioner=f"Practitioner/{doctor.user.external_id}" if doctor else None,
    )


class _Writer:
    """Inserts generated resources and their first versions with `executemany` (ids assigned
    here, the sequences moved past them at the end): the ORM's bulk_create spends most of a
    demo load preparing values field by field."""

    def __init__(self, orgs: dict[int, Organization], doctors: dict[int, object]):
        self.orgs, self.doctors = orgs, doctors
        self.next_resource = (Resource.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_version = (ResourceVersion.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.resources: list[tuple] = []
        self.versions: list[tuple] = []
        ops = connection.ops
        self.uuid = (lambda u: u) if connection.vendor == "postgresql" else (lambda u: u.hex)
        self.when = ops.adapt_datetimefield_value
        self.json = lambda body: ops.adapt_json_value(body, None)

    def add(self, items: list[Synth], patient: Patient) -> None:
        ids: dict[object, int] = {}
        for item in items:
            pk = self.next_resource
            self.next_resource += 1
            ids[item.external_id] = pk
            doctor = self.doctors.get(item.clinic.index)
            when = self.when(item.effective)
            body = self.json(item.body)
            org = self.orgs[item.clinic.index].pk
            self.resources.append(
                (pk, self.uuid(item.external_id), item.resource_type, patient.pk, org, doctor.pk if doctor else None,
                 item.status, item.category, item.code_system, item.code, when,
                 ids[item.encounter.external_id] if item.encounter is not None else None,
                 "", "", 1, when, self.when(timezone.now()), body)
            )  # fmt: skip
            self.versions.append(
                (self.next_version, pk, 1, item.status, org, doctor.pk if doctor else None, when, body)
            )
            self.next_version += 1

    def flush(self) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {Resource._meta.db_table} (id, external_id, resource_type, patient_id, "  # noqa: S608 (table names from the models)
                "organization_id, recorded_by_id, status, category, code_system, code, effective, encounter_id, "
                "identifier_system, identifier_value, version_id, last_updated, created_at, body) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                self.resources,
            )
            cursor.executemany(
                f"INSERT INTO {ResourceVersion._meta.db_table} (id, resource_id, version_id, status, "  # noqa: S608
                "organization_id, recorded_by_id, last_updated, body) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                self.versions,
            )
            for sql in connection.ops.sequence_reset_sql(no_style(), [Resource, ResourceVersion]):
                cursor.execute(sql)
        self.resources, self.versions = [], []


@transaction.atomic
def seed_records(patients: int = DEMO_PATIENTS, seed: int = 15) -> int:
    """Creates the demo patients and histories that are missing; returns how many patients."""
    hospital, clinic = primary_organization("medical"), primary_organization("clinic")
    if hospital is None or clinic is None:
        return 0
    rng = random.Random(seed)
    generated = _people(patients, rng)
    if Patient.objects.filter(pin=generated[-1].pin).exists():
        return 0  # complete already
    RegistryPerson.objects.bulk_create(generated, ignore_conflicts=True)
    # The seeded people (sick-leave demo, stand-in ESI citizens) get histories too.
    known = list(RegistryPerson.objects.exclude(pin__in=[p.pin for p in generated]).order_by("pin"))
    people = known + generated
    existing = set(Patient.objects.filter(pin__in=[p.pin for p in people]).values_list("pin", flat=True))
    now = timezone.now()
    Patient.objects.bulk_create(
        [
            Patient(
                pin=p.pin,
                family_name=p.family_name,
                given_name=p.given_name,
                middle_name=p.middle_name,
                birth_date=p.birth_date,
                sex=p.sex,
                death_date=p.death_date,
                registry_checked_at=now,
            )
            for p in people
            if p.pin not in existing
        ]
    )
    by_pin = {p.pin: p for p in Patient.objects.filter(pin__in=[p.pin for p in people])}

    medical = list(
        Organization.objects.filter(org_type=OrganizationType.MEDICAL, status=OrganizationStatus.ACTIVE)
        .exclude(pk__in=(hospital.pk, clinic.pk))
        .order_by("pk")[:6]
    )
    orgs = dict(enumerate([hospital, clinic, *medical]))
    clinics = [_clinic(org, i) for i, org in orgs.items()]
    doctors = {
        c.index: m.user
        for c in clinics
        if (
            m := Membership.objects.filter(organization=orgs[c.index], role=Role.DOCTOR)
            .select_related("user")
            .first()
        )
    }
    writer = _Writer(orgs, doctors)
    for n, person in enumerate(people):
        patient = by_pin[person.pin]
        if patient.pin in existing and Resource.objects.filter(patient=patient).exists():
            continue
        # A third treated lately by the demo hospital, a third by the demo clinic, the seeded
        # people by both; every one also seen in the other demo clinics over the years.
        both = n < len(known) or n % 7 == 0
        recent = clinics[0] if (n % 3 == 0 or both) else clinics[1] if n % 3 == 1 else None
        items = history(
            rng,
            patient_id=str(patient.external_id),
            clinics=clinics,
            now=now,
            visits=rng.randint(1, 4),
            recent=recent,
        )
        if both:
            items += history(
                rng,
                patient_id=str(patient.external_id),
                clinics=clinics,
                now=now,
                visits=1,
                recent=clinics[1],
            )
        writer.add(items, patient)
    _visits_for_sick_leaves(writer, by_pin, orgs, clinics)
    writer.flush()
    return len(people) - len(existing)


def _visits_for_sick_leaves(writer: _Writer, by_pin, orgs, clinics) -> None:
    """Every demo sick leave was opened at a visit of its clinic on its day: that visit, recorded."""
    index_of = {org.pk: i for i, org in orgs.items()}
    for leave in SickLeave.objects.filter(organization_id__in=index_of, patient_pin__in=by_pin).order_by(
        "pk"
    ):
        patient = by_pin[leave.patient_pin]
        when = timezone.localtime(leave.created_at).replace(hour=9, minute=0, second=0, microsecond=0)
        if when > timezone.now():
            when = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
        clinic = clinics[index_of[leave.organization_id]]
        items = history(
            random.Random(leave.pk),
            patient_id=str(patient.external_id),
            clinics=[clinic],
            now=when,
            visits=1,
            exact=True,
        )
        for item in items:
            if item.resource_type == "Condition":
                item.code = leave.diagnosis_code
                item.body["code"]["coding"][0]["code"] = leave.diagnosis_code
        writer.add(items, patient)
