"""The fictional people of the stand-in ESI provider (plain data, no database).

Every name, PIN, tax ID, e-mail and phone here is invented. PINs follow the national
shape (sex digit, birth date DDMMYYYY, 5 digits) so that the platform accepts them;
e-mail addresses use the reserved ``example.org`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class Person:
    sub: str
    label: str  # English msgid, translated on the login page
    pin: str
    family_name: str
    given_name: str
    middle_name: str
    gender: str
    birthdate: date
    email: str
    phone_number: str
    organizations: list[dict] = field(default_factory=list)
    # When the platform already has someone holding this role (demo data), the
    # stand-in person takes that someone's PIN, names and organisation, so that
    # logging in through ESI lands in the existing demo account.
    adopt_platform_role: str = ""


# A private clinic that is not registered on the platform: its representative can
# start the onboarding application for it.
UNREGISTERED_CLINIC = {
    "tax_id": "02712201510234",
    "name": "ОсОО «Шифа-Демо» (вымышленная частная клиника)",
    "role": "director",
}

# A second unregistered clinic whose licence expired: in phase 2 its application is
# routed to a reviewer with the failed licence check listed.
EXPIRED_LICENCE_CLINIC = {
    "tax_id": "02712201510242",
    "name": "ОсОО «Дару-Клиник-Демо» (вымышленная, лицензия истекла)",
    "role": "director",
}


@dataclass(frozen=True)
class ClinicRecord:
    """What the stand-in state registries (salamat.tunduk) know of a fictional clinic."""

    tax_id: str
    name: str
    legal_form: str
    address: str
    registered_on: date
    licence_number: str
    licence_issued_on: date
    licence_valid_until: date | None
    activities: tuple[str, ...]


# The stand-in registries' rows for the unregistered clinics, so that an application for
# them passes the phase 2 checks (or, for the second, fails the licence check).
CLINIC_RECORDS: tuple[ClinicRecord, ...] = (
    ClinicRecord(
        tax_id=UNREGISTERED_CLINIC["tax_id"],
        name=UNREGISTERED_CLINIC["name"],
        legal_form="ОсОО",
        address="г. Бишкек, ул. Вымышленная, 15",
        registered_on=date(2015, 12, 27),
        licence_number="ЛМД-2021-0417",
        licence_issued_on=date(2021, 4, 17),
        licence_valid_until=None,  # issued without an end date
        activities=("терапия", "педиатрия", "экспертиза временной нетрудоспособности"),
    ),
    ClinicRecord(
        tax_id=EXPIRED_LICENCE_CLINIC["tax_id"],
        name=EXPIRED_LICENCE_CLINIC["name"],
        legal_form="ОсОО",
        address="г. Ош, ул. Примерная, 7",
        registered_on=date(2016, 3, 2),
        licence_number="ЛМД-2019-0088",
        licence_issued_on=date(2019, 2, 1),
        licence_valid_until=date(2024, 1, 31),
        activities=("терапия",),
    ),
)

# The head physician to name in a demo application (in the stand-in population registry).
DEMO_HEAD_PHYSICIAN = {
    "pin": "11505197000234",
    "family_name": "Осмонова",
    "given_name": "Гульнара",
    "middle_name": "Садыковна",
    "birthdate": date(1970, 5, 15),
    "gender": "female",
}

PEOPLE: tuple[Person, ...] = (
    Person(
        sub="devidp-0001-clinic-representative",
        label=gettext_noop("Representative of a private clinic that is not registered yet"),
        pin="11203198500123",
        family_name="Асанова",
        given_name="Айгуль",
        middle_name="Бакытовна",
        gender="female",
        birthdate=date(1985, 3, 12),
        email="aigul.asanova@example.org",
        phone_number="+996700000101",
        organizations=[UNREGISTERED_CLINIC],
    ),
    Person(
        sub="devidp-0002-doctor",
        label=gettext_noop("Doctor of a demo clinic"),
        pin="20407197900457",
        family_name="Жумабеков",
        given_name="Нурлан",
        middle_name="Эркинович",
        gender="male",
        birthdate=date(1979, 7, 4),
        email="nurlan.zhumabekov@example.org",
        phone_number="+996700000102",
        organizations=[{"tax_id": "01503200010011", "name": "ЦСМ «Демо» №1 (вымышленный)", "role": "doctor"}],
        adopt_platform_role="doctor",
    ),
    Person(
        sub="devidp-0003-citizen",
        label=gettext_noop("Citizen (represents no organisation)"),
        pin="12311199200789",
        family_name="Токтогулова",
        given_name="Бермет",
        middle_name="Асановна",
        gender="female",
        birthdate=date(1992, 11, 23),
        email="bermet.toktogulova@example.org",
        phone_number="+996700000103",
    ),
    Person(
        sub="devidp-0004-ministry-reviewer",
        label=gettext_noop("Ministry reviewer of clinic applications"),
        pin="23001198800321",
        family_name="Садыков",
        given_name="Марат",
        middle_name="Талантович",
        gender="male",
        birthdate=date(1988, 1, 30),
        email="marat.sadykov@example.org",
        phone_number="+996700000104",
        organizations=[
            {
                "tax_id": "00101199910001",
                "name": "Министерство здравоохранения (демо)",
                "role": "reviewer",
            }
        ],
        adopt_platform_role="ministry_reviewer",
    ),
    Person(
        sub="devidp-0005-pharmacy-owner",
        label=gettext_noop("Owner of two pharmacies"),
        pin="10509197500654",
        family_name="Ким",
        given_name="Елена",
        middle_name="Викторовна",
        gender="female",
        birthdate=date(1975, 9, 5),
        email="elena.kim@example.org",
        phone_number="+996700000105",
        organizations=[
            {"tax_id": "02205201810077", "name": "Аптека «Дару-Демо»", "role": "owner"},
            {"tax_id": "02205201810085", "name": "Аптека «Дару-Демо 2»", "role": "owner"},
        ],
    ),
    Person(
        sub="devidp-0006-expired-clinic-representative",
        label=gettext_noop("Representative of a clinic whose licence has expired"),
        pin="21408198100246",
        family_name="Орозбеков",
        given_name="Эмиль",
        middle_name="Жолдошевич",
        gender="male",
        birthdate=date(1981, 8, 14),
        email="emil.orozbekov@example.org",
        phone_number="+996700000106",
        organizations=[EXPIRED_LICENCE_CLINIC],
    ),
)
