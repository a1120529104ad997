"""The demo country: a fixed, obviously fictional set of participants, medicines and people.

Everything is derived from one seeded random generator and fixed tables, so every
run builds the same data; `seed_demo` creates only what is missing, through the
same services as real writes. Development only. Names carry the word "Demo"; tax
IDs start with 09, GLNs with 4708, GTINs with 4709 (a made-up company range),
phone numbers use the unassigned +996 000 range, e-mails the reserved .example domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from salamat.codes.checkdigit import gs1_check_digit
from salamat.core.actors import SYSTEM
from salamat.registry import services
from salamat.registry.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    OwnershipForm,
    Product,
    Region,
    Site,
    TrackingList,
)

SEED = 20260101
DEMO_TAX_PREFIX = "09"

# --- tracking lists: the phases of traceability -------------------------------------------


@dataclass(frozen=True)
class ListSpec:
    code: str
    name: str
    mandatory_from: date
    covers_all_products: bool = False


TRACKING_LISTS = (
    ListSpec("first-list", "First list of tracked medicines", date(2026, 1, 1)),
    ListSpec("htf", "High Technology Fund list", date(2026, 4, 1)),
    ListSpec("essential-medicines", "Essential medicines list", date(2026, 9, 1)),
    ListSpec("all-drugs", "All medicines", date(2027, 7, 1), covers_all_products=True),
)

# --- participants --------------------------------------------------------------------------

_TYPE_DIGITS = {
    OrganizationType.MANUFACTURER: "10",
    OrganizationType.IMPORTER: "20",
    OrganizationType.WHOLESALER: "30",
    OrganizationType.PHARMACY: "40",
    OrganizationType.MEDICAL: "50",
    OrganizationType.MINISTRY: "60",
    OrganizationType.SOCIAL_FUND: "70",
}
_STREETS = [
    "Apricot St.",
    "Walnut Ave.",
    "Juniper St.",
    "Poplar St.",
    "Meadow Ave.",
    "Sunrise St.",
    "Glacier St.",
    "River Lane",
    "Orchard St.",
    "Cedar Ave.",
    "Falcon St.",
    "Harvest Lane",
]
# Place names in the demo data are fixed English text, never the translated labels, so that
# the data is the same whatever language the command runs in.
_PLACES = {
    Region.BATKEN: "Batken Region",
    Region.CHUY: "Chuy Region",
    Region.ISSYK_KUL: "Issyk-Kul Region",
    Region.JALAL_ABAD: "Jalal-Abad Region",
    Region.NARYN: "Naryn Region",
    Region.OSH_REGION: "Osh Region",
    Region.TALAS: "Talas Region",
    Region.BISHKEK: "Bishkek",
    Region.OSH_CITY: "Osh",
}
_DISTRICTS = ["Central district", "Northern district", "Southern district", "Eastern district"]
_PHARMACY_WORDS = [
    "Camomile",
    "Sage",
    "Mint",
    "Thyme",
    "Linden",
    "Yarrow",
    "Calendula",
    "Plantain",
    "Rosehip",
    "Barberry",
    "Sea-buckthorn",
    "Lavender",
    "Melissa",
    "Hawthorn",
    "Tansy",
    "Clover",
    "Violet",
    "Aloe",
    "Fennel",
    "Basil",
    "Dandelion",
    "Nettle",
    "Oregano",
    "Saffron",
    "Cornflower",
    "Heather",
    "Primrose",
    "Coriander",
    "Valerian",
    "Elder",
]
_WHOLESALE_WORDS = [
    "Snowpeak",
    "Bluewater",
    "Stonebridge",
    "Highpass",
    "Greenvale",
    "Eaglecrest",
    "Silverbrook",
    "Windgate",
    "Sunmeadow",
]
_CLINIC_WORDS = [
    "Meadowlark",
    "Clearspring",
    "Kindheart",
    "Brightway",
    "Goodhealth",
    "Lakeside",
    "Hillcrest",
    "Morningstar",
    "Riverbend",
    "Willowgate",
]


@dataclass
class SiteSpec:
    name: str
    address: str
    region: str
    district: str
    gln: str
    opening_hours: str = ""


# Demo pharmacies' hours, written so that they read the same in every language.
_PHARMACY_HOURS = ("08:00–20:00", "08:00–22:00", "09:00–21:00", "00:00–24:00")


@dataclass
class OrgSpec:
    key: str
    name: str
    org_type: str
    ownership: str
    region: str
    tax_id: str = ""
    status: str = OrganizationStatus.ACTIVE
    sites: list[SiteSpec] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.key}@demo.salamat.example"


def _gln(n: int) -> str:
    body = f"4708{n:08d}"
    return body + str(gs1_check_digit(body))


def demo_gtin13(company: int, item: int) -> str:
    body = f"4709{company:03d}{item:05d}"
    return body + str(gs1_check_digit(body))


def organization_specs() -> list[OrgSpec]:
    """Every demo organisation with its sites, always the same."""
    rng = random.Random(SEED)
    pharmacy_words = rng.sample(_PHARMACY_WORDS, len(_PHARMACY_WORDS))
    clinic_words = rng.sample(_CLINIC_WORDS, len(_CLINIC_WORDS))
    specs: list[OrgSpec] = []

    def add(
        key: str,
        name: str,
        org_type: str,
        region: str,
        *,
        ownership=OwnershipForm.PRIVATE,
        sites=1,
        status=OrganizationStatus.ACTIVE,
    ):
        spec = OrgSpec(
            key=key, name=name, org_type=org_type, ownership=ownership, region=region, status=status
        )
        label = _PLACES[region]
        for i in range(sites):
            spec.sites.append(
                SiteSpec(
                    name=name if i == 0 else f"{name} — site {i + 1}",
                    address=f"{rng.choice(_STREETS)} {rng.randint(1, 180)}, {label}",
                    region=region,
                    district=rng.choice(_DISTRICTS),
                    gln="",
                    opening_hours=_PHARMACY_HOURS[(len(specs) + i) % len(_PHARMACY_HOURS)]
                    if org_type == OrganizationType.PHARMACY
                    else "",
                )
            )
        specs.append(spec)
        return spec

    add(
        "ministry",
        "Ministry of Health (demo)",
        OrganizationType.MINISTRY,
        Region.BISHKEK,
        ownership=OwnershipForm.PUBLIC,
    )
    add(
        "social-fund",
        "Social Fund (demo)",
        OrganizationType.SOCIAL_FUND,
        Region.BISHKEK,
        ownership=OwnershipForm.PUBLIC,
    )
    for key, name, region in (
        ("manufacturer-1", "Velta Demo Pharma", Region.BISHKEK),
        ("manufacturer-2", "Kora Demo Laboratories", Region.CHUY),
        ("manufacturer-3", "Tulpar Demo Biotech", Region.OSH_CITY),
    ):
        add(key, name, OrganizationType.MANUFACTURER, region, sites=2)
    for key, name, region in (
        ("importer-1", "Caravan Demo Import", Region.BISHKEK),
        ("importer-2", "Northgate Demo Medical Supply", Region.BISHKEK),
        ("importer-3", "Bridgeway Demo Trading", Region.CHUY),
        ("importer-4", "Southwind Demo Import", Region.OSH_CITY),
    ):
        add(key, name, OrganizationType.IMPORTER, region)
    pharmacy_n = 0
    for r, region in enumerate(Region.values):
        label = _PLACES[region]
        add(
            f"wholesaler-{region}",
            f"{_WHOLESALE_WORDS[r]} Demo Distribution",
            OrganizationType.WHOLESALER,
            region,
            sites=2,
        )
        pharmacies = {Region.BISHKEK: 4, Region.OSH_CITY: 3}.get(region, 2)
        for i in range(1, pharmacies + 1):
            word = pharmacy_words[pharmacy_n % len(pharmacy_words)]
            pharmacy_n += 1
            add(
                f"pharmacy-{region}-{i}",
                f"{word} Demo Pharmacy No. {pharmacy_n}",
                OrganizationType.PHARMACY,
                region,
                # The first Bishkek pharmacy is a small chain.
                sites=3 if (region, i) == (Region.BISHKEK, 1) else 1,
            )
        add(
            f"hospital-{region}",
            f"Demo Public Hospital of {label}",
            OrganizationType.MEDICAL,
            region,
            ownership=OwnershipForm.PUBLIC,
        )
        add(f"clinic-{region}", f"{clinic_words[r]} Demo Clinic", OrganizationType.MEDICAL, region)
    add(
        "pharmacy-suspended",
        "Shadow Demo Pharmacy (suspended)",
        OrganizationType.PHARMACY,
        Region.OSH_CITY,
        status=OrganizationStatus.SUSPENDED,
    )
    add(
        "clinic-pending",
        "Newleaf Demo Clinic (applied)",
        OrganizationType.MEDICAL,
        Region.CHUY,
        status=OrganizationStatus.PENDING,
    )
    gln_n = 0
    for n, spec in enumerate(specs, start=1):
        region_idx = Region.values.index(spec.region)
        spec.tax_id = f"{DEMO_TAX_PREFIX}{_TYPE_DIGITS[spec.org_type]}{region_idx:02d}{n:08d}"
        for site in spec.sites:
            gln_n += 1
            site.gln = _gln(gln_n)
    return specs


# The organisation a demo login or a `demo_token TYPE` uses for each kind.
PRIMARY = {
    "ministry": "ministry",
    "social_fund": "social-fund",
    "manufacturer": "manufacturer-1",
    "importer": "importer-1",
    "wholesaler": "wholesaler-bishkek",
    "pharmacy": "pharmacy-bishkek-1",
    "medical": "hospital-bishkek",  # public
    "clinic": "clinic-bishkek",  # private
}


def spec_by_key() -> dict[str, OrgSpec]:
    return {s.key: s for s in organization_specs()}


def primary_organization(kind: str) -> Organization | None:
    """The demo organisation used for `kind` (a key of `PRIMARY`), if the demo data is loaded."""
    spec = spec_by_key()[PRIMARY[kind]]
    return Organization.objects.filter(tax_id=spec.tax_id).first()


# --- products ------------------------------------------------------------------------------

# INN, ATC code, variants of (dosage form, strength, units per package), lists it belongs to.
_F, _H, _E = "first-list", "htf", "essential-medicines"
MEDICINES: list[tuple[str, str, list[tuple[str, str, int]], tuple[str, ...]]] = [
    ("amoxicillin", "J01CA04", [("capsules", "250 mg", 20), ("capsules", "500 mg", 20)], (_F, _E)),
    ("ampicillin", "J01CA01", [("powder for injection", "1 g", 10)], (_F,)),
    ("azithromycin", "J01FA10", [("tablets", "250 mg", 6), ("tablets", "500 mg", 3)], (_F, _E)),
    ("ciprofloxacin", "J01MA02", [("tablets", "250 mg", 10), ("tablets", "500 mg", 10)], (_F, _E)),
    (
        "ceftriaxone",
        "J01DD04",
        [("powder for injection", "1 g", 1), ("powder for injection", "500 mg", 1)],
        (_F, _E),
    ),
    ("cefazolin", "J01DB04", [("powder for injection", "1 g", 1)], (_F,)),
    ("doxycycline", "J01AA02", [("capsules", "100 mg", 10)], (_F, _E)),
    ("metronidazole", "P01AB01", [("tablets", "250 mg", 20)], (_E,)),
    ("paracetamol", "N02BE01", [("tablets", "500 mg", 20), ("syrup", "120 mg/5 ml", 1)], (_E,)),
    ("ibuprofen", "M01AE01", [("tablets", "200 mg", 20), ("tablets", "400 mg", 20)], (_E,)),
    ("diclofenac", "M01AB05", [("tablets", "50 mg", 20), ("solution for injection", "75 mg/3 ml", 5)], ()),
    ("acetylsalicylic acid", "B01AC06", [("tablets", "75 mg", 30), ("tablets", "100 mg", 30)], (_E,)),
    (
        "metformin",
        "A10BA02",
        [("tablets", "500 mg", 60), ("tablets", "850 mg", 60), ("tablets", "1000 mg", 60)],
        (_F, _E),
    ),
    (
        "gliclazide",
        "A10BB09",
        [("modified-release tablets", "30 mg", 30), ("modified-release tablets", "60 mg", 30)],
        (_E,),
    ),
    ("insulin glargine", "A10AE04", [("solution for injection", "100 IU/ml", 5)], (_F, _H)),
    ("insulin aspart", "A10AB05", [("solution for injection", "100 IU/ml", 5)], (_F, _H)),
    (
        "enalapril",
        "C09AA02",
        [("tablets", "5 mg", 20), ("tablets", "10 mg", 20), ("tablets", "20 mg", 20)],
        (_E,),
    ),
    ("lisinopril", "C09AA03", [("tablets", "10 mg", 30), ("tablets", "20 mg", 30)], (_E,)),
    ("amlodipine", "C08CA01", [("tablets", "5 mg", 30), ("tablets", "10 mg", 30)], (_E,)),
    ("losartan", "C09CA01", [("tablets", "50 mg", 30), ("tablets", "100 mg", 30)], ()),
    (
        "bisoprolol",
        "C07AB07",
        [("tablets", "2.5 mg", 30), ("tablets", "5 mg", 30), ("tablets", "10 mg", 30)],
        (_E,),
    ),
    (
        "atorvastatin",
        "C10AA05",
        [("tablets", "10 mg", 30), ("tablets", "20 mg", 30), ("tablets", "40 mg", 30)],
        (_E,),
    ),
    ("simvastatin", "C10AA01", [("tablets", "20 mg", 28)], ()),
    ("furosemide", "C03CA01", [("tablets", "40 mg", 50), ("solution for injection", "10 mg/ml", 10)], (_E,)),
    ("hydrochlorothiazide", "C03AA03", [("tablets", "25 mg", 20)], (_E,)),
    ("warfarin", "B01AA03", [("tablets", "2.5 mg", 100)], (_E,)),
    ("heparin", "B01AB01", [("solution for injection", "5000 IU/ml", 5)], (_F, _E)),
    ("clopidogrel", "B01AC04", [("tablets", "75 mg", 28)], (_E,)),
    ("omeprazole", "A02BC01", [("capsules", "20 mg", 30)], (_E,)),
    ("pantoprazole", "A02BC02", [("gastro-resistant tablets", "40 mg", 28)], ()),
    ("drotaverine", "A03AD02", [("tablets", "40 mg", 20)], ()),
    ("ondansetron", "A04AA01", [("tablets", "4 mg", 10), ("solution for injection", "2 mg/ml", 5)], (_E,)),
    ("loratadine", "R06AX13", [("tablets", "10 mg", 10)], (_E,)),
    ("cetirizine", "R06AE07", [("tablets", "10 mg", 10)], ()),
    ("salbutamol", "R03AC02", [("pressurised inhalation", "100 mcg/dose", 1)], (_E,)),
    ("budesonide", "R03BA02", [("nebuliser suspension", "0.5 mg/ml", 20)], (_E,)),
    ("prednisolone", "H02AB06", [("tablets", "5 mg", 100)], (_E,)),
    ("dexamethasone", "H02AB02", [("solution for injection", "4 mg/ml", 25)], (_F, _E)),
    ("levothyroxine", "H03AA01", [("tablets", "50 mcg", 100), ("tablets", "100 mcg", 100)], (_E,)),
    ("sertraline", "N06AB06", [("tablets", "50 mg", 28)], ()),
    ("fluoxetine", "N06AB03", [("capsules", "20 mg", 20)], (_E,)),
    ("amitriptyline", "N06AA09", [("tablets", "25 mg", 50)], (_F, _E)),
    ("diazepam", "N05BA01", [("tablets", "5 mg", 20), ("solution for injection", "5 mg/ml", 10)], (_F, _E)),
    ("carbamazepine", "N03AF01", [("tablets", "200 mg", 50)], (_E,)),
    (
        "valproic acid",
        "N03AG01",
        [("prolonged-release tablets", "300 mg", 30), ("prolonged-release tablets", "500 mg", 30)],
        (_E,),
    ),
    ("levetiracetam", "N03AX14", [("tablets", "500 mg", 30)], ()),
    (
        "haloperidol",
        "N05AD01",
        [("tablets", "5 mg", 50), ("solution for injection", "5 mg/ml", 10)],
        (_F, _E),
    ),
    ("risperidone", "N05AX08", [("tablets", "2 mg", 20)], (_F,)),
    ("tramadol", "N02AX02", [("capsules", "50 mg", 20), ("solution for injection", "50 mg/ml", 5)], (_F,)),
    ("morphine", "N02AA01", [("solution for injection", "10 mg/ml", 10)], (_F, _E)),
    ("lidocaine", "N01BB02", [("solution for injection", "20 mg/ml", 10)], (_E,)),
    ("isoniazid", "J04AC01", [("tablets", "300 mg", 100)], (_F, _E)),
    ("rifampicin", "J04AB02", [("capsules", "150 mg", 100)], (_F, _E)),
    ("ethambutol", "J04AK02", [("tablets", "400 mg", 100)], (_F, _E)),
    ("fluconazole", "J02AC01", [("capsules", "150 mg", 1), ("capsules", "50 mg", 7)], (_E,)),
    ("aciclovir", "J05AB01", [("tablets", "200 mg", 20), ("tablets", "400 mg", 20)], (_E,)),
    ("oseltamivir", "J05AH02", [("capsules", "75 mg", 10)], (_F,)),
    ("tenofovir disoproxil", "J05AF07", [("tablets", "300 mg", 30)], (_F, _H)),
    ("sofosbuvir", "J05AP08", [("tablets", "400 mg", 28)], (_H,)),
    ("methotrexate", "L01BA01", [("tablets", "2.5 mg", 50)], (_H,)),
    ("imatinib", "L01EA01", [("tablets", "400 mg", 30), ("capsules", "100 mg", 120)], (_H,)),
    (
        "trastuzumab",
        "L01FD01",
        [
            ("powder for concentrate for infusion", "440 mg", 1),
            ("powder for concentrate for infusion", "150 mg", 1),
        ],
        (_H,),
    ),
    (
        "rituximab",
        "L01FA01",
        [("concentrate for infusion", "500 mg/50 ml", 1), ("concentrate for infusion", "100 mg/10 ml", 2)],
        (_H,),
    ),
    ("bevacizumab", "L01FG01", [("concentrate for infusion", "400 mg/16 ml", 1)], (_H,)),
    ("interferon beta-1a", "L03AB07", [("solution for injection", "44 mcg/0.5 ml", 12)], (_H,)),
    (
        "epoetin alfa",
        "B03XA01",
        [("solution for injection", "2000 IU/0.5 ml", 6), ("solution for injection", "4000 IU/0.4 ml", 6)],
        (_H,),
    ),
    (
        "coagulation factor VIII",
        "B02BD02",
        [
            ("powder for solution for injection", "500 IU", 1),
            ("powder for solution for injection", "1000 IU", 1),
        ],
        (_H,),
    ),
    ("ferrous sulfate", "B03AA07", [("tablets", "325 mg", 50)], (_E,)),
    ("folic acid", "B03BB01", [("tablets", "1 mg", 50)], (_E,)),
    ("oral rehydration salts", "A07CA", [("powder for oral solution", "20.5 g", 10)], (_E,)),
    ("zinc sulfate", "A12CB01", [("dispersible tablets", "20 mg", 10)], (_E,)),
    ("colecalciferol", "A11CC05", [("oral drops", "15000 IU/ml", 1)], ()),
    ("oxytocin", "H01BB02", [("solution for injection", "5 IU/ml", 10)], (_F, _E)),
    ("magnesium sulfate", "B05XA05", [("solution for injection", "250 mg/ml", 10)], (_E,)),
    ("sodium chloride", "B05XA03", [("solution for infusion", "9 mg/ml", 1)], (_E,)),
    ("glucose", "B05BA03", [("solution for infusion", "50 mg/ml", 1)], (_E,)),
    ("glyceryl trinitrate", "C01DA02", [("sublingual tablets", "0.5 mg", 40)], (_E,)),
    ("digoxin", "C01AA05", [("tablets", "0.25 mg", 50)], (_E,)),
]


# INN (English) -> (Russian, Kyrgyz). Kyrgyz uses the Russian forms of single-word INNs;
# acids and salts take Kyrgyz endings ("кислотасы", "сульфаты").
INN_NAMES: dict[str, tuple[str, str]] = {
    "amoxicillin": ("амоксициллин", "амоксициллин"),
    "ampicillin": ("ампициллин", "ампициллин"),
    "azithromycin": ("азитромицин", "азитромицин"),
    "ciprofloxacin": ("ципрофлоксацин", "ципрофлоксацин"),
    "ceftriaxone": ("цефтриаксон", "цефтриаксон"),
    "cefazolin": ("цефазолин", "цефазолин"),
    "doxycycline": ("доксициклин", "доксициклин"),
    "metronidazole": ("метронидазол", "метронидазол"),
    "paracetamol": ("парацетамол", "парацетамол"),
    "ibuprofen": ("ибупрофен", "ибупрофен"),
    "diclofenac": ("диклофенак", "диклофенак"),
    "acetylsalicylic acid": ("ацетилсалициловая кислота", "ацетилсалицил кислотасы"),
    "metformin": ("метформин", "метформин"),
    "gliclazide": ("гликлазид", "гликлазид"),
    "insulin glargine": ("инсулин гларгин", "инсулин гларгин"),
    "insulin aspart": ("инсулин аспарт", "инсулин аспарт"),
    "enalapril": ("эналаприл", "эналаприл"),
    "lisinopril": ("лизиноприл", "лизиноприл"),
    "amlodipine": ("амлодипин", "амлодипин"),
    "losartan": ("лозартан", "лозартан"),
    "bisoprolol": ("бисопролол", "бисопролол"),
    "atorvastatin": ("аторвастатин", "аторвастатин"),
    "simvastatin": ("симвастатин", "симвастатин"),
    "furosemide": ("фуросемид", "фуросемид"),
    "hydrochlorothiazide": ("гидрохлоротиазид", "гидрохлоротиазид"),
    "warfarin": ("варфарин", "варфарин"),
    "heparin": ("гепарин", "гепарин"),
    "clopidogrel": ("клопидогрел", "клопидогрел"),
    "omeprazole": ("омепразол", "омепразол"),
    "pantoprazole": ("пантопразол", "пантопразол"),
    "drotaverine": ("дротаверин", "дротаверин"),
    "ondansetron": ("ондансетрон", "ондансетрон"),
    "loratadine": ("лоратадин", "лоратадин"),
    "cetirizine": ("цетиризин", "цетиризин"),
    "salbutamol": ("сальбутамол", "сальбутамол"),
    "budesonide": ("будесонид", "будесонид"),
    "prednisolone": ("преднизолон", "преднизолон"),
    "dexamethasone": ("дексаметазон", "дексаметазон"),
    "levothyroxine": ("левотироксин", "левотироксин"),
    "sertraline": ("сертралин", "сертралин"),
    "fluoxetine": ("флуоксетин", "флуоксетин"),
    "amitriptyline": ("амитриптилин", "амитриптилин"),
    "diazepam": ("диазепам", "диазепам"),
    "carbamazepine": ("карбамазепин", "карбамазепин"),
    "valproic acid": ("вальпроевая кислота", "вальпрой кислотасы"),
    "levetiracetam": ("леветирацетам", "леветирацетам"),
    "haloperidol": ("галоперидол", "галоперидол"),
    "risperidone": ("рисперидон", "рисперидон"),
    "tramadol": ("трамадол", "трамадол"),
    "morphine": ("морфин", "морфин"),
    "lidocaine": ("лидокаин", "лидокаин"),
    "isoniazid": ("изониазид", "изониазид"),
    "rifampicin": ("рифампицин", "рифампицин"),
    "ethambutol": ("этамбутол", "этамбутол"),
    "fluconazole": ("флуконазол", "флуконазол"),
    "aciclovir": ("ацикловир", "ацикловир"),
    "oseltamivir": ("осельтамивир", "осельтамивир"),
    "tenofovir disoproxil": ("тенофовира дизопроксил", "тенофовир дизопроксил"),
    "sofosbuvir": ("софосбувир", "софосбувир"),
    "methotrexate": ("метотрексат", "метотрексат"),
    "imatinib": ("иматиниб", "иматиниб"),
    "trastuzumab": ("трастузумаб", "трастузумаб"),
    "rituximab": ("ритуксимаб", "ритуксимаб"),
    "bevacizumab": ("бевацизумаб", "бевацизумаб"),
    "interferon beta-1a": ("интерферон бета-1a", "интерферон бета-1a"),
    "epoetin alfa": ("эпоэтин альфа", "эпоэтин альфа"),
    "coagulation factor VIII": ("фактор свёртывания крови VIII", "кан уюуучу VIII фактор"),
    "ferrous sulfate": ("железа сульфат", "темир сульфаты"),
    "folic acid": ("фолиевая кислота", "фолий кислотасы"),
    "oral rehydration salts": ("соли для пероральной регидратации", "ооз аркылуу регидратациялоочу туздар"),
    "zinc sulfate": ("цинка сульфат", "цинк сульфаты"),
    "colecalciferol": ("колекальциферол", "колекальциферол"),
    "oxytocin": ("окситоцин", "окситоцин"),
    "magnesium sulfate": ("магния сульфат", "магний сульфаты"),
    "sodium chloride": ("натрия хлорид", "натрий хлориди"),
    "glucose": ("декстроза (глюкоза)", "декстроза (глюкоза)"),
    "glyceryl trinitrate": ("нитроглицерин", "нитроглицерин"),
    "digoxin": ("дигоксин", "дигоксин"),
}


@dataclass(frozen=True)
class Maker:
    name: str
    country: str
    brand: str  # the fictional house prefix of its trade names
    org_key: str = ""  # a local manufacturer is also a participant
    brand_cyrillic: str = ""  # the prefix as written in Russian and Kyrgyz


MAKERS = [
    Maker("Velta Demo Pharma", "KG", "Velta", "manufacturer-1", "Велта"),
    Maker("Kora Demo Laboratories", "KG", "Kora", "manufacturer-2", "Кора"),
    Maker("Tulpar Demo Biotech", "KG", "Tulpa", "manufacturer-3", "Тулпа"),
    Maker("Nimbara Demo Pharmaceuticals", "IN", "Nimba", "", "Нимба"),
    Maker("Saryal Demo Healthcare", "TR", "Saryal", "", "Сарыал"),
    Maker("Ordovia Demo Arzneimittel", "DE", "Ordo", "", "Ордо"),
    Maker("Quillon Demo Pharma", "KZ", "Quil", "", "Квил"),
    Maker("Zenmora Demo Biologics", "CH", "Zenmo", "", "Зенмо"),
    Maker("Borvik Demo Medica", "FI", "Borvi", "", "Борви"),
    Maker("Altynay Demo Farm", "RU", "Altyn", "", "Алтын"),
]
PRODUCT_COUNT = 200


@dataclass
class ProductSpec:
    registration_number: str
    registered_on: date
    valid_until: date
    trade_name: str
    inn: str
    atc_code: str
    dosage_form: str
    strength: str
    units_per_package: int
    maker: Maker
    gtin13: str
    lists: tuple[str, ...]
    trade_name_ru: str = ""
    inn_ru: str = ""
    inn_ky: str = ""

    def names(self) -> dict[str, str]:
        """The names in Russian and Kyrgyz (the trade name is written the same in both)."""
        return {
            "trade_name_ru": self.trade_name_ru,
            "trade_name_ky": self.trade_name_ru,
            "inn_ru": self.inn_ru,
            "inn_ky": self.inn_ky,
        }


def product_specs() -> list[ProductSpec]:
    """The 200 demo products: each variant of each medicine made by one to three makers."""
    rng = random.Random(SEED + 1)
    candidates = []
    for inn, atc, variants, lists in MEDICINES:
        makers = rng.sample(MAKERS, rng.randint(1, 3))
        for dosage_form, strength, units in variants:
            for maker in makers:
                candidates.append((inn, atc, dosage_form, strength, units, maker, lists))
    chosen = sorted(rng.sample(range(len(candidates)), min(PRODUCT_COUNT, len(candidates))))
    items_by_maker: dict[str, int] = {}
    specs = []
    for n, index in enumerate(chosen, start=1):
        inn, atc, dosage_form, strength, units, maker, lists = candidates[index]
        registered_on = date(2022, 1, 1) + timedelta(days=rng.randint(0, 3 * 365))
        company = MAKERS.index(maker) + 1
        items_by_maker[maker.name] = items_by_maker.get(maker.name, 0) + 1
        stem = inn.split()[0][:5].capitalize()
        inn_ru, inn_ky = INN_NAMES[inn]
        specs.append(
            ProductSpec(
                registration_number=f"DEMO-{registered_on.year}-{n:05d}",
                registered_on=registered_on,
                valid_until=registered_on + timedelta(days=5 * 365),
                trade_name=f"{maker.brand}-{stem}",
                inn=inn,
                atc_code=atc,
                dosage_form=dosage_form,
                strength=strength,
                units_per_package=units,
                maker=maker,
                gtin13=demo_gtin13(company, items_by_maker[maker.name]),
                lists=lists,
                trade_name_ru=f"{maker.brand_cyrillic}-{inn_ru.split()[0][:5].capitalize()}",
                inn_ru=inn_ru,
                inn_ky=inn_ky,
            )
        )
    return specs


# --- the seeding -----------------------------------------------------------------------------


@transaction.atomic
def seed_registry(created: dict[str, int]) -> dict[str, Organization]:
    """Creates whatever of the demo registry is missing, counting it in `created`; returns the
    demo organisations by key (the people are seeded by `salamat.accounts.demo`)."""
    for key in ("tracking_lists", "organizations", "sites", "products"):
        created.setdefault(key, 0)
    _seed_lists(created)
    orgs = _seed_organizations(created)
    _seed_products(created, orgs)
    return orgs


def _seed_lists(created: dict[str, int]) -> None:
    existing = set(TrackingList.objects.values_list("code", flat=True))
    for spec in TRACKING_LISTS:
        if spec.code not in existing:
            services.tracking_list_create(
                actor=SYSTEM,
                code=spec.code,
                name=spec.name,
                mandatory_from=spec.mandatory_from,
                covers_all_products=spec.covers_all_products,
            )
            created["tracking_lists"] += 1


def _seed_organizations(created: dict[str, int]) -> dict[str, Organization]:
    specs = organization_specs()
    existing = {o.tax_id: o for o in Organization.objects.filter(tax_id__in=[s.tax_id for s in specs])}
    glns = set(Site.objects.filter(gln__startswith="4708").values_list("gln", flat=True))
    orgs: dict[str, Organization] = {}
    for n, spec in enumerate(specs, start=1):
        org = existing.get(spec.tax_id)
        if org is None:
            org = services.organization_create(
                actor=SYSTEM,
                name=spec.name,
                org_type=spec.org_type,
                tax_id=spec.tax_id,
                ownership=spec.ownership,
                status=spec.status,
                region=spec.region,
                legal_address=spec.sites[0].address,
                email=spec.email,
                phone=f"+996 000 {n:03d} {n * 7 % 1000:03d}",
                licence_number=f"DEMO-LIC-{n:04d}"
                if spec.org_type not in ("ministry", "social_fund")
                else "",
            )
            created["organizations"] += 1
        orgs[spec.key] = org
        for site in spec.sites:
            if site.gln in glns:
                continue
            services.site_create(
                actor=SYSTEM,
                organization=org,
                name=site.name,
                address=site.address,
                region=site.region,
                district=site.district,
                gln=site.gln,
                opening_hours=site.opening_hours,
            )
            created["sites"] += 1
    return orgs


def _seed_products(created: dict[str, int], orgs: dict[str, Organization]) -> None:
    specs = product_specs()
    existing = {
        p.registration_number: p
        for p in Product.objects.filter(registration_number__in=[s.registration_number for s in specs])
    }
    by_list: dict[str, list[Product]] = {}
    for spec in specs:
        product = existing.get(spec.registration_number)
        if product is None:
            product = services.product_create(
                actor=SYSTEM,
                registration_number=spec.registration_number,
                registered_on=spec.registered_on,
                valid_until=spec.valid_until,
                trade_name=spec.trade_name,
                inn=spec.inn,
                atc_code=spec.atc_code,
                dosage_form=spec.dosage_form,
                strength=spec.strength,
                units_per_package=spec.units_per_package,
                manufacturer_name=spec.maker.name,
                manufacturer_country=spec.maker.country,
                manufacturer=orgs.get(spec.maker.org_key),
                gtins=[spec.gtin13],
                **spec.names(),
            )
            created["products"] += 1
        elif not product.inn_ru:
            # Seeded before the registry had names in Russian and Kyrgyz: fill them in.
            services.product_update(
                actor=SYSTEM, product=product, data={**spec.names(), "dosage_form": spec.dosage_form}
            )
        for code in spec.lists:
            by_list.setdefault(code, []).append(product)
    for tracking_list in TrackingList.objects.filter(code__in=by_list):
        services.tracking_list_add_products(
            actor=SYSTEM, tracking_list=tracking_list, products=by_list[tracking_list.code]
        )
