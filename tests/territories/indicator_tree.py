"""A hand-made territory tree for the indicator tests: 2 régions, 3 départements, 3 EPCI (one straddling two
départements), 8 communes with real-looking INSEE codes."""

from territories.enums import Level
from territories.models import Territory

COMMUNES = [
    # code, name, population, département, EPCI SIREN, area km²
    ("38185", "Grenoble", 156_000, "38", "200040715", 18.1),
    ("38151", "Échirolles", 37_000, "38", "200040715", 7.9),
    ("38001", "Les Abrets en Dauphiné", 6_200, "38", "200068567", 30.0),
    ("38002", "Les Adrets", 1_000, "38", "200068567", 16.0),
    ("73001", "Aiguebelette-le-Lac", 230, "73", "200068567", 5.0),
    ("73002", "Aiguebelle", 120, "73", "", 6.0),
    ("29019", "Brest", 139_000, "29", "242900314", 49.5),
    ("29003", "Argol", 800, "29", "242900314", 30.0),
]


def build_tree() -> dict[str, Territory]:
    t = {}
    t["84"] = Territory.objects.create(level=Level.REGION, code="84", name="Auvergne-Rhône-Alpes")
    t["53"] = Territory.objects.create(level=Level.REGION, code="53", name="Bretagne")
    for code, name, region in (("38", "Isère", "84"), ("73", "Savoie", "84"), ("29", "Finistère", "53")):
        t[code] = Territory.objects.create(level=Level.DEPARTMENT, code=code, name=name, region=t[region])
    for siren, name, dept in (
        ("200040715", "Grenoble-Alpes-Métropole", "38"),
        ("200068567", "CC Les Vals du Dauphiné", "38"),
        ("242900314", "Brest Métropole", "29"),
    ):
        t[siren] = Territory.objects.create(
            level=Level.EPCI, code=siren, name=name, department=t[dept], region=t[dept].region
        )
    for code, name, population, dept, epci, area in COMMUNES:
        t[code] = Territory.objects.create(
            level=Level.COMMUNE,
            code=code,
            name=name,
            population=population,
            department=t[dept],
            region=t[dept].region,
            epci=t.get(epci),
            area_km2=area,
        )
    for region in ("84", "53"):
        t[region].population = sum(p for c, _, p, d, _, _ in COMMUNES if t[d].region_id == t[region].pk)
        t[region].save()
    return t
