"""Who may report a weak signal, and who follows it up (pure predicates, plus their queryset twins).

Reporting: an élu on their own territory, or a commune of their EPCI; a CPAM referent on a commune or an
EPCI of their département; an administrator anywhere. Follow-up (status changes): the referent of the
territory's département, or an administrator. Reading: ``ReportedSignal.objects.visible_to(user)``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .enums import Level
from .models import ReportedSignal, Territory

REPORTABLE_LEVELS = (Level.COMMUNE, Level.EPCI)


def _is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or getattr(user, "is_portal_admin", False))


def can_report_signal(user, territory: Territory) -> bool:
    if not user.is_authenticated or territory.level not in REPORTABLE_LEVELS:
        return False
    if _is_admin(user):
        return True
    if getattr(user, "is_referent", False):
        return bool(user.department_id) and territory.department_id == user.department_id
    if getattr(user, "is_elu", False) and user.territory_id:
        if territory.pk == user.territory_id:
            return True
        return (
            territory.level == Level.COMMUNE
            and territory.epci_id == user.territory_id
            and user.territory.level == Level.EPCI
        )
    return False


def reportable_territories(user) -> QuerySet[Territory]:
    """The territories ``user`` may report on (same rule as :func:`can_report_signal`)."""
    qs = Territory.objects.filter(level__in=REPORTABLE_LEVELS)
    if not user.is_authenticated:
        return qs.none()
    if _is_admin(user):
        return qs
    if getattr(user, "is_referent", False) and user.department_id:
        return qs.filter(department_id=user.department_id)
    if getattr(user, "is_elu", False) and user.territory_id:
        inside = Q(level=Level.COMMUNE, epci_id=user.territory_id) if user.territory.level == Level.EPCI else Q()
        return qs.filter(Q(pk=user.territory_id) | inside) if inside else qs.filter(pk=user.territory_id)
    return qs.none()


def can_follow_up(user, reported: ReportedSignal) -> bool:
    """May ``user`` change the status of ``reported``? (needs ``reported.territory`` loaded)."""
    if _is_admin(user):
        return True
    return (
        getattr(user, "is_referent", False)
        and bool(user.department_id)
        and (reported.territory.department_id == user.department_id or reported.territory_id == user.department_id)
    )
