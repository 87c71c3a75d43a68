"""Read side of the early-warning signals: what one user sees on one territory's page and in the API.

``signals_for(territory, user=...)`` returns a :class:`SignalList` (a list of :class:`SignalEntry`, alertes
first) — the object ``templates/territories/_signals.html`` renders::

    {% include "alerts/_territory_panel.html" with signals=signals %}

Three queries whatever the territory: the access check, the computed signals, the reported signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .enums import SIGNAL_LEVEL_RANK, Level, SignalLevel
from .models import ReportedSignal, Signal, Territory
from .signal_perms import can_report_signal

COMPUTED = "computed"
REPORTED = "reported"


@dataclass
class SignalEntry:
    """One line of the signals block: a computed signal or a reported one, in the same shape."""

    origin: str  # "computed" or "reported"
    level: str
    title: str
    text: str
    territory: Territory
    comparison: str = ""  # computed: the test that triggered the level
    year: int | None = None
    source: str = ""  # computed: the indicator's source
    vintage: str = ""
    is_demo: bool = False
    theme: str = ""
    theme_label: str = ""
    created_at: datetime | None = None  # reported
    author_name: str = ""
    status: str = ""
    status_label: str = ""
    uuid: str = ""
    reported: ReportedSignal | None = None

    @property
    def severity(self) -> int:
        return SIGNAL_LEVEL_RANK[SignalLevel(self.level)]

    @property
    def level_label(self) -> str:
        return SignalLevel(self.level).label

    @property
    def is_reported(self) -> bool:
        return self.origin == REPORTED


class SignalList(list):
    """The entries, plus what the template needs around them."""

    def __init__(self, entries=(), *, territory: Territory | None = None, can_report: bool = False):
        super().__init__(entries)
        self.territory = territory
        self.can_report = can_report

    @property
    def alert_count(self) -> int:
        return sum(1 for e in self if e.level == SignalLevel.ALERT)

    @property
    def vigilance_count(self) -> int:
        return sum(1 for e in self if e.level == SignalLevel.VIGILANCE)


def _own_scope(user, territory: Territory) -> bool:
    """An élu's own territory (or what lies inside it); referents and admins see their whole scope as theirs."""
    if not getattr(user, "is_elu", False):
        return True
    return user.territory_id in (territory.pk, territory.epci_id, territory.commune_id)


def signals_for(territory: Territory, *, user) -> SignalList:
    """Computed and reported signals of ``territory`` that ``user`` may see, alertes first.

    Nothing at all if the user may not see the territory. An élu looking at another territory (their
    département, their région) sees only signals built on public indicators, and no reported signal.
    On an EPCI, the reported signals of its communes are listed too.
    """
    if not Territory.objects.visible_to(user).filter(pk=territory.pk).exists():
        return SignalList(territory=territory)
    computed = Signal.objects.filter(territory=territory).select_related("rule__indicator")
    if not _own_scope(user, territory):
        computed = computed.filter(rule__indicator__is_public=True)
    entries = [
        SignalEntry(
            origin=COMPUTED,
            level=s.level,
            title=s.rule.label,
            text=s.explanation,
            territory=territory,
            comparison=s.comparison,
            year=s.year,
            source=s.rule.indicator.source,
            vintage=s.rule.indicator.vintage,
            is_demo=s.is_demo,
            theme=s.rule.indicator.theme,
            theme_label=s.rule.indicator.get_theme_display(),
        )
        for s in computed.by_severity()
    ]
    reported = ReportedSignal.objects.visible_to(user).select_related("territory", "author")
    if territory.level == Level.EPCI:
        reported = reported.filter(territory__epci_id=territory.pk) | reported.filter(territory_id=territory.pk)
    else:
        reported = reported.filter(territory_id=territory.pk)
    for r in reported.order_by("-created_at", "-pk"):
        entries.append(
            SignalEntry(
                origin=REPORTED,
                level=r.level,
                title=r.get_kind_display(),
                text=r.text,
                territory=r.territory,
                created_at=r.created_at,
                author_name=str(r.author) if r.author else "compte supprimé",
                status=r.status,
                status_label=r.get_status_display(),
                uuid=str(r.uuid),
                reported=r,
            )
        )
    # Stable sort: within a level, computed signals (rule order) then reported ones (most recent first).
    entries.sort(key=lambda e: -e.severity)
    return SignalList(entries, territory=territory, can_report=can_report_signal(user, territory))


def _count(queryset) -> Coalesce:
    """Correlated ``COUNT(*)`` of ``queryset`` (already filtered on ``territory=OuterRef("pk")``), 0 when empty."""
    counted = queryset.order_by().values("territory").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def territories_by_signal_level(*, department: Territory, theme: str | None = None) -> QuerySet[Territory]:
    """Communes and EPCI of ``department``, most worrying first (number of alertes, then of vigilances).

    Annotations: ``n_alert``, ``n_vigilance`` (restricted to the rules of ``theme`` when given) and
    ``n_reported_open`` (reported signals not closed); ``listed_signals`` (prefetched) holds the alertes and
    vigilances in display order. Counts are correlated subqueries, so the query count does not depend on
    the number of territories (count + page + one prefetch).
    """
    signals = Signal.objects.filter(territory=OuterRef("pk"))
    listed = Signal.objects.filter(level__in=[SignalLevel.ALERT, SignalLevel.VIGILANCE])
    if theme:
        signals = signals.filter(rule__indicator__theme=theme)
        listed = listed.filter(rule__indicator__theme=theme)
    return (
        Territory.objects.filter(level__in=(Level.COMMUNE, Level.EPCI), department=department)
        .annotate(
            n_alert=_count(signals.filter(level=SignalLevel.ALERT)),
            n_vigilance=_count(signals.filter(level=SignalLevel.VIGILANCE)),
            n_reported_open=_count(ReportedSignal.objects.filter(territory=OuterRef("pk")).open()),
        )
        .select_related("epci")
        .prefetch_related(
            Prefetch("signals", queryset=listed.select_related("rule").by_severity(), to_attr="listed_signals")
        )
        .order_by("-n_alert", "-n_vigilance", "-population", "name", "code")
    )
