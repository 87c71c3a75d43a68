"""The territory page's panels (care structures, aids, prevention), cached per territory.

Each panel aggregates over every commune of the territory: a few ms for a commune, tens of ms for a région
(5,000 communes, CPTS perimeters, zonings). They are the same for every user, so they are cached in the
default cache (Redis in production, shared by the web processes; in-process memory on the embedded default)
under a version made of:

- the data version (:func:`portal.documents.services.data_vintage`, one small query): any load, import or
  demo generation, and the structures edited in the admin, add a ``DataSource`` row;
- the day (aids in force, prevention actions still running);
- a generation bumped whenever one row the panels count is saved or deleted one at a time (the admin, a
  service): aid terms, access points, actions… (:func:`connect_invalidation`, from ``PortalConfig.ready``).

Bulk writes (generators, importers) send no signal; they record a ``DataSource`` row instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

PANEL_TTL_SECONDS = 6 * 3600
GENERATION_KEY = "portal:panels:generation"
# Models whose single-row edits change what a panel shows (bulk loads are traced by DataSource rows).
WATCHED_MODELS = (
    "aids.Aid",
    "aids.AidTerms",
    "structures.Structure",
    "structures.TeamCount",
    "structures.CoveredCommune",
    "prevention.AccessPoint",
    "prevention.PreventionAction",
    "territories.Zoning",
)


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def bump_generation(**_kwargs) -> None:
    """Every cached panel is stale from now on (a new generation makes new keys; old ones expire)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def connect_invalidation() -> None:
    from django.apps import apps

    for label in WATCHED_MODELS:
        model = apps.get_model(label)
        post_save.connect(bump_generation, sender=model, dispatch_uid=f"panels-save-{label}")
        post_delete.connect(bump_generation, sender=model, dispatch_uid=f"panels-delete-{label}")


def panels_version() -> str:
    from portal.documents.services import data_vintage

    return f"{data_vintage()}|{timezone.localdate().isoformat()}|{_generation()}"


def territory_panels(territory, builders: dict[str, Callable]) -> dict:
    """``{name: builder(territory)}``, each from the cache when the data has not changed since it was built.

    One query (the data version) when every panel is cached; the builders' queries otherwise.
    """
    version = panels_version()
    keys = {name: f"portal:panel:{name}:{territory.pk}:{version}" for name in builders}
    cached = cache.get_many(list(keys.values()))
    panels, missing = {}, {}
    for name, key in keys.items():
        if key in cached:
            panels[name] = cached[key]
        else:
            panels[name] = missing[key] = builders[name](territory)
    if missing:
        cache.set_many(missing, timeout=PANEL_TTL_SECONDS)
    return panels
