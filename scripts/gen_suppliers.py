#!/usr/bin/env python3
"""Generate the sample supplier base for rules/onboarding.policy.

Writes rules/data/suppliers.csv and rules/data/suppliers.jsonl (the same suppliers, one JSON
object a line). The output is deterministic: a fixed seed and no dependence on the clock.

Each supplier is drawn for an intended onboarding decision (mostly approve, some review,
reject and incomplete) and then built so that the policy reaches exactly that decision when
evaluated with rules/data/reference.json as reference data and as_of REFERENCE_DATE.
The CSV follows the conventions of rules/README.md: dotted columns for record fields,
`;`-separated lists of scalars, JSON arrays for lists of records and for empty lists, and an
empty cell for an absent field.

Usage: python3 scripts/gen_suppliers.py [COUNT]
"""

import csv
import datetime
import json
import random
import sys
from pathlib import Path

SEED = 20250601
DEFAULT_COUNT = 1200
REFERENCE_DATE = datetime.date(2025, 6, 1)
STRATEGIC_SPEND = 500_000

DATA_DIR = Path(__file__).resolve().parent.parent / "rules" / "data"

# The CPI 2024 scores of the onboarding policy's `cpi` table for the countries drawn here.
CPI = {
    "DK": 90, "FI": 88, "SG": 84, "NO": 81, "CH": 81, "SE": 80, "NL": 78, "IE": 77,
    "AU": 77, "DE": 75, "CA": 75, "JP": 71, "GB": 71, "AT": 67, "FR": 67, "US": 65,
    "KR": 64, "PT": 57, "CZ": 56, "ES": 56, "IT": 54, "PL": 53, "MY": 50, "CN": 42,
    "ZA": 41, "VN": 40, "IN": 38, "ID": 37, "BR": 34, "TH": 34, "TR": 34, "PH": 33,
    "MX": 26, "NG": 26, "BD": 23, "KH": 21, "RU": 22, "BY": 33, "IR": 23,
}
SANCTIONED = ["RU", "BY", "IR"]

# How often each country appears in the supplier base of a European manufacturer.
COUNTRY_WEIGHTS = {
    "DE": 14, "CN": 10, "PL": 6, "IT": 6, "FR": 6, "US": 6, "CZ": 5, "GB": 5, "IN": 5,
    "ES": 4, "NL": 4, "JP": 4, "TR": 4, "SE": 3, "DK": 3, "AT": 3, "CH": 3, "VN": 3,
    "FI": 2, "PT": 2, "KR": 2, "TH": 2, "MY": 2, "ID": 2, "SG": 2, "MX": 2, "BR": 2,
    "NO": 1, "IE": 1, "CA": 1, "AU": 1, "ZA": 1, "PH": 1, "BD": 1, "NG": 1, "KH": 1,
}

LEGAL_FORMS = {
    "DK": "A/S", "FI": "Oy", "SG": "Pte Ltd", "NO": "AS", "CH": "AG", "SE": "AB",
    "NL": "B.V.", "IE": "Ltd", "AU": "Pty Ltd", "DE": "GmbH", "CA": "Inc.", "JP": "K.K.",
    "GB": "Ltd", "AT": "GmbH", "FR": "SAS", "US": "Inc.", "KR": "Co., Ltd.", "PT": "Lda",
    "CZ": "s.r.o.", "ES": "S.L.", "IT": "S.r.l.", "PL": "Sp. z o.o.", "MY": "Sdn Bhd",
    "CN": "Co., Ltd.", "ZA": "(Pty) Ltd", "VN": "JSC", "IN": "Pvt Ltd", "ID": "Tbk",
    "BR": "Ltda.", "TH": "Co., Ltd.", "TR": "A.Ş.", "PH": "Inc.", "MX": "S.A. de C.V.",
    "NG": "Ltd", "BD": "Ltd.", "KH": "Co., Ltd.", "RU": "LLC", "BY": "OJSC", "IR": "Co.",
}

PLACES = {
    "DK": ["Nordisk", "Jylland", "Fyn", "Aarhus", "Sjælland"],
    "FI": ["Tampere", "Pohjola", "Oulu", "Savo", "Turku"],
    "SG": ["Jurong", "Tuas", "Changi", "Woodlands", "Kallang"],
    "NO": ["Fjord", "Bergen", "Viken", "Trøndelag", "Agder"],
    "CH": ["Alpen", "Zürich", "Aargau", "Jura", "Ticino"],
    "SE": ["Skåne", "Norrland", "Göta", "Mälardalen", "Småland"],
    "NL": ["Holland", "Brabant", "Delta", "Twente", "Zeeland"],
    "IE": ["Shannon", "Liffey", "Munster", "Galway", "Leinster"],
    "AU": ["Southern Cross", "Hunter Valley", "Pilbara", "Murray", "Gippsland"],
    "DE": ["Rhein", "Schwaben", "Elbe", "Hansa", "Bayern", "Taunus", "Weser", "Harz", "Ruhr", "Saar"],
    "CA": ["Laurentian", "Ontario", "Prairie", "Maritime", "Cascade"],
    "JP": ["Hokuriku", "Kansai", "Tohoku", "Chubu", "Kyushu", "Shikoku"],
    "GB": ["Midlands", "Pennine", "Thames", "Severn", "Cotswold", "Tyne"],
    "AT": ["Alpenland", "Donau", "Steiermark", "Tirol", "Salzach"],
    "FR": ["Rhône", "Loire", "Normandie", "Provence", "Alsace", "Bretagne"],
    "US": ["Great Lakes", "Pacific", "Appalachian", "Gulf Coast", "Midwest", "Keystone"],
    "KR": ["Gyeonggi", "Busan", "Daegu", "Ulsan", "Hanbit"],
    "PT": ["Lusitania", "Minho", "Douro", "Aveiro", "Tejo"],
    "CZ": ["Brno", "Morava", "Vltava", "Ostrava", "Plzeň", "Hradec"],
    "ES": ["Ibérica", "Levante", "Cantábrica", "Navarra", "Aragón"],
    "IT": ["Lombarda", "Brescia", "Veneta", "Emilia", "Piemonte", "Toscana"],
    "PL": ["Kraków", "Śląsk", "Wielkopolska", "Pomorze", "Mazowsze"],
    "MY": ["Penang", "Selangor", "Johor", "Kedah", "Melaka"],
    "CN": ["Shenzhen", "Suzhou", "Ningbo", "Dongguan", "Foshan", "Xiamen", "Wuxi", "Qingdao"],
    "ZA": ["Gauteng", "Cape", "Highveld", "Natal", "Karoo"],
    "VN": ["Saigon", "Hanoi", "Binh Duong", "Hai Phong", "Da Nang"],
    "IN": ["Deccan", "Pune", "Chennai", "Gujarat", "Bengaluru", "Noida"],
    "ID": ["Nusantara", "Batam", "Surabaya", "Bekasi", "Karawang"],
    "BR": ["Paulista", "Minas", "Gaúcha", "Paraná", "Capixaba"],
    "TH": ["Siam", "Rayong", "Chonburi", "Ayutthaya", "Lamphun"],
    "TR": ["Bursa", "Anadolu", "Kocaeli", "Ege", "Marmara"],
    "PH": ["Luzon", "Cebu", "Laguna", "Batangas", "Mindanao"],
    "MX": ["Monterrey", "Bajío", "Querétaro", "Jalisco", "Norteña"],
    "NG": ["Lagos", "Niger Delta", "Kano", "Ogun", "Abuja"],
    "BD": ["Dhaka", "Chattogram", "Gazipur", "Narayanganj", "Savar"],
    "KH": ["Mekong", "Phnom Penh", "Angkor", "Kampong", "Tonle"],
    "RU": ["Ural", "Volga", "Sibir", "Neva", "Kama"],
    "BY": ["Minsk", "Gomel", "Brest", "Vitebsk", "Grodno"],
    "IR": ["Persian Gulf", "Tabriz", "Isfahan", "Alborz", "Khorasan"],
}

CATEGORY_WEIGHTS = {"manufacturing": 40, "chemicals": 10, "logistics": 20, "services": 30}

TRADES = {
    "manufacturing": [
        "Precision Components", "Metalworks", "Electronics", "Castings", "Plastics",
        "Fasteners", "Machining", "Circuit Boards", "Cable Systems", "Motors", "Sensors",
        "Springs", "Die Casting", "Stamping", "Hydraulics",
    ],
    "chemicals": ["Chemicals", "Coatings", "Polymers", "Specialty Chemicals", "Adhesives", "Resins"],
    "logistics": ["Logistics", "Freight", "Transport", "Shipping", "Warehousing", "Forwarding"],
    "services": [
        "Facility Services", "IT Consulting", "Engineering Services", "Cleaning Services",
        "Translation Services", "Security Services", "Calibration Services", "Staffing",
    ],
}

# Fictional smelters and refiners with RMI-style identifiers (CID numbers).
SMELTERS = [
    ("CID001105", "tin", "conformant"), ("CID001231", "tin", "conformant"),
    ("CID001898", "tin", "conformant"), ("CID001314", "tin", "conformant"),
    ("CID000292", "tin", "conformant"), ("CID001070", "tin", "conformant"),
    ("CID003120", "tin", "active"), ("CID003558", "tin", "not_enrolled"),
    ("CID002539", "tantalum", "conformant"), ("CID000211", "tantalum", "conformant"),
    ("CID002183", "tantalum", "active"), ("CID001147", "tungsten", "conformant"),
    ("CID002044", "tungsten", "conformant"), ("CID003412", "tungsten", "not_enrolled"),
    ("CID000015", "gold", "conformant"), ("CID000468", "gold", "conformant"),
    ("CID000958", "gold", "conformant"), ("CID001352", "gold", "conformant"),
    ("CID003185", "gold", "active"), ("CID003641", "gold", "not_enrolled"),
    ("CID002316", "cobalt", "conformant"), ("CID002826", "cobalt", "conformant"),
    ("CID002500", "cobalt", "conformant"), ("CID003925", "cobalt", "active"),
]

ISO_FLAGS = ["negative_press", "pending_litigation", "late_payment_dispute"]
CRIMINAL_FLAGS = ["human_trafficking", "forced_labour", "money_laundering"]

COLUMNS = [
    "name", "country", "category", "annual_spend", "certifications", "flags",
    "guidelines_confirmed", "ecovadis.environment", "ecovadis.labor_human_rights",
    "ecovadis.ethics", "ecovadis.sustainable_procurement", "smelters", "cmrt_date",
]

# The input fields in the order of the policy's `input` block.
INPUT_FIELDS = list(dict.fromkeys(c.split(".", 1)[0] for c in COLUMNS))

# Intended decisions and their share of the supplier base.
DECISION_WEIGHTS = {"approve": 70, "review": 16, "reject": 7, "incomplete": 7}


def pick(rng, weights):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.names = set()

    def country(self, low_cpi=None):
        """A country weighted by the supplier base; `low_cpi` picks CPI below 40 or not."""
        weights = {
            c: w
            for c, w in COUNTRY_WEIGHTS.items()
            if low_cpi is None or (CPI[c] < 40) == low_cpi
        }
        return pick(self.rng, weights)

    def name(self, country, category):
        while True:
            place = self.rng.choice(PLACES[country])
            trade = self.rng.choice(TRADES[category])
            form = LEGAL_FORMS[country]
            name = f"PT {place} {trade} {form}" if country == "ID" else f"{place} {trade} {form}"
            if name not in self.names:
                self.names.add(name)
                return name
            # Two suppliers from one region and trade: tell them apart as real registers do.
            name = f"{place} {trade} {self.rng.choice(['Group', 'International', 'Works', 'Partners'])} {form}"
            if name not in self.names:
                self.names.add(name)
                return name

    def spend(self, strategic=None):
        while True:
            spend = round(self.rng.lognormvariate(11.6, 1.25), -2)
            spend = min(max(spend, 5_000), 25_000_000)
            if strategic is None or (spend >= STRATEGIC_SPEND) == strategic:
                return int(spend)

    def certifications(self, category, environmental):
        certs = []
        if environmental:
            certs.append("EMAS" if self.rng.random() < 0.12 else "ISO14001")
        if category in ("manufacturing", "chemicals") or self.rng.random() < 0.6:
            certs.append("ISO9001")
        extras = {
            "manufacturing": ["IATF16949", "ISO45001", "ISO50001"],
            "chemicals": ["ISO45001", "RC14001"],
            "logistics": ["SQAS", "ISO45001", "TAPA FSR"],
            "services": ["ISO27001", "SA8000"],
        }[category]
        certs += [e for e in extras if self.rng.random() < 0.25]
        return certs

    def ecovadis(self, passing):
        """Theme scores that pass (average >= 45, ethics >= 40) or fail the minimum."""
        while True:
            centre = self.rng.gauss(57, 9) if passing else self.rng.gauss(36, 6)
            themes = [max(5, min(95, round(self.rng.gauss(centre, 7)))) for _ in range(4)]
            ok = sum(themes) / 4 >= 45 and themes[2] >= 40
            if ok == passing:
                return dict(zip(
                    ["environment", "labor_human_rights", "ethics", "sustainable_procurement"],
                    themes,
                ))

    def smelters(self, conformant_only):
        count = self.rng.choice([1, 2, 2, 3, 3, 4, 5, 6])
        pool = [s for s in SMELTERS if s[2] == "conformant"] if conformant_only else SMELTERS
        chosen = self.rng.sample(pool, min(count, len(pool)))
        if not conformant_only and all(s[2] == "conformant" for s in chosen):
            chosen[0] = self.rng.choice([s for s in SMELTERS if s[2] != "conformant"])
        return [{"id": i, "metal": m, "rmap_status": st} for i, m, st in chosen]

    def cmrt_date(self):
        # Most templates are from the current reporting year; some are stale (a warning only).
        days = self.rng.randint(20, 350) if self.rng.random() < 0.85 else self.rng.randint(370, 700)
        return (REFERENCE_DATE - datetime.timedelta(days=days)).isoformat()

    def base(self, low_cpi=False, strategic=None):
        """A supplier that passes every rule of the onboarding policy."""
        rng = self.rng
        country = self.country(low_cpi)
        category = pick(rng, CATEGORY_WEIGHTS)
        spend = self.spend(strategic)
        environmental = category in ("manufacturing", "chemicals") or rng.random() < 0.35
        supplier = {
            "name": self.name(country, category),
            "country": country,
            "category": category,
            "annual_spend": spend,
            "certifications": self.certifications(category, environmental),
            "flags": [rng.choice(ISO_FLAGS)] if rng.random() < 0.04 else [],
            "guidelines_confirmed": True,
            "smelters": [],
        }
        if spend >= STRATEGIC_SPEND or rng.random() < 0.25:
            supplier["ecovadis"] = self.ecovadis(passing=True)
        if category == "manufacturing" and rng.random() < 0.7:
            supplier["smelters"] = self.smelters(conformant_only=True)
            supplier["cmrt_date"] = self.cmrt_date()
        return supplier

    def review(self):
        reason = pick(self.rng, {"cpi": 45, "guidelines": 25, "ecovadis": 15, "smelters": 15})
        if reason == "cpi":
            return self.base(low_cpi=True)
        if reason == "ecovadis":
            supplier = self.base(strategic=True)
            supplier["ecovadis"] = self.ecovadis(passing=False)
            return supplier
        supplier = self.base()
        if reason == "guidelines":
            supplier["guidelines_confirmed"] = False
        else:
            supplier["category"] = "manufacturing"
            supplier["certifications"] = self.certifications("manufacturing", True)
            supplier["smelters"] = self.smelters(conformant_only=False)
            supplier["cmrt_date"] = self.cmrt_date()
        return supplier

    def reject(self):
        reason = pick(self.rng, {"sanctioned": 30, "criminal": 30, "no_ems": 40})
        supplier = self.base()
        if reason == "sanctioned":
            country = self.rng.choice(SANCTIONED)
            supplier["country"] = country
            self.names.discard(supplier["name"])
            supplier["name"] = self.name(country, supplier["category"])
        elif reason == "criminal":
            supplier["flags"] = supplier["flags"] + [self.rng.choice(CRIMINAL_FLAGS)]
        else:
            supplier["category"] = self.rng.choice(["manufacturing", "manufacturing", "chemicals"])
            supplier["certifications"] = self.certifications(supplier["category"], False)
        return supplier

    def incomplete(self):
        reason = pick(self.rng, {"no_ecovadis": 40, "no_cmrt": 30, "no_confirmation": 20, "partial_ecovadis": 10})
        if reason in ("no_ecovadis", "partial_ecovadis"):
            supplier = self.base(strategic=True)
            if reason == "no_ecovadis":
                del supplier["ecovadis"]
            else:
                del supplier["ecovadis"]["ethics"]
            return supplier
        supplier = self.base()
        if reason == "no_confirmation":
            del supplier["guidelines_confirmed"]
        else:
            supplier["category"] = "manufacturing"
            supplier["certifications"] = self.certifications("manufacturing", True)
            supplier["smelters"] = self.smelters(conformant_only=True)
            supplier.pop("cmrt_date", None)
        return supplier

    def supplier(self):
        decision = pick(self.rng, DECISION_WEIGHTS)
        build = {
            "approve": self.base,
            "review": self.review,
            "reject": self.reject,
            "incomplete": self.incomplete,
        }[decision]
        return decision, build()


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if not value or isinstance(value[0], dict):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return ";".join(value)
    return str(value)


def csv_row(supplier):
    ecovadis = supplier.get("ecovadis", {})
    row = []
    for column in COLUMNS:
        if column.startswith("ecovadis."):
            row.append(csv_cell(ecovadis.get(column.split(".", 1)[1])))
        else:
            row.append(csv_cell(supplier.get(column)))
    return row


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_COUNT
    generator = Generator(SEED)
    suppliers = []
    tally = {d: 0 for d in DECISION_WEIGHTS}
    for _ in range(count):
        decision, supplier = generator.supplier()
        tally[decision] += 1
        suppliers.append(supplier)

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / "suppliers.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(csv_row(s) for s in suppliers)
    with open(DATA_DIR / "suppliers.jsonl", "w", encoding="utf-8") as out:
        for supplier in suppliers:
            ordered = {k: supplier[k] for k in INPUT_FIELDS if k in supplier}
            out.write(json.dumps(ordered, ensure_ascii=False) + "\n")

    summary = ", ".join(f"{d} {n}" for d, n in tally.items())
    print(f"{count} suppliers written to rules/data (intended decisions: {summary})")


if __name__ == "__main__":
    main()
