"""The PAPS (Portail d'accompagnement des professionnels de santé) of a commune's own région.

Each ARS runs its PAPS; the booklet points Isère to the Auvergne-Rhône-Alpes one (004:L662). Only the regional
addresses seen on public pages are listed (ANCHORS.md §1.9 and the PAPS pages they cite); any other région is
sent to the national portal, which lists every regional PAPS, rather than to a guessed address.
"""

from __future__ import annotations

from dataclasses import dataclass

NATIONAL_PAPS = "https://www.paps.sante.fr"

# INSEE région code → regional PAPS address.
REGIONAL_PAPS = {
    "84": "https://www.auvergne-rhone-alpes.paps.sante.fr",
    "76": "https://www.occitanie.paps.sante.fr",
    "52": "https://www.paysdelaloire.paps.sante.fr",
    "28": "https://www.normandie.paps.sante.fr",
    "11": "https://www.iledefrance.paps.sante.fr",
}


@dataclass(frozen=True)
class PapsLink:
    url: str
    label: str
    regional: bool


def paps_link(region_code: str | None, region_name: str = "") -> PapsLink:
    """The PAPS of the région (its name in the label), or the national portal when its address is not known."""
    url = REGIONAL_PAPS.get(region_code or "")
    if url:
        return PapsLink(url, f"PAPS {region_name}".strip(), True)
    return PapsLink(NATIONAL_PAPS, "PAPS (portail national, choisissez votre région)", False)
