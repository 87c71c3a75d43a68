"""Who may write to the CPAM, who handles a request, who follows it up (pure predicates).

Reading goes through ``ContactRequest.objects.visible_to(user)`` (a request out of scope is a 404, never a 403).

- Create: an élu, on their own commune or EPCI, or a commune of their EPCI (same territories as reporting a
  weak signal, ``territories.signal_perms``). Referents and administrators answer, they do not ask.
- Handle (take, assign, change the status, answer as the CPAM): a referent of the request's département, or an
  administrator.
- Follow up (add a message): the élus who see the request, besides the handlers.
- Close: the handlers, and the élu who wrote the request.
"""

from __future__ import annotations

from territories.models import Territory
from territories.signal_perms import can_report_signal

from .models import ContactRequest


def _is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or getattr(user, "is_portal_admin", False))


def can_create(user, territory: Territory) -> bool:
    return (
        user.is_authenticated
        and getattr(user, "is_elu", False)
        and not _is_admin(user)
        and bool(territory.department_id)
        and can_report_signal(user, territory)
    )


def is_referent_of(user, department_id: int | None) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_referent", False)
        and bool(department_id)
        and user.department_id == department_id
    )


def can_handle(user, request: ContactRequest) -> bool:
    return _is_admin(user) or is_referent_of(user, request.department_id)


def can_follow_up(user, request: ContactRequest) -> bool:
    """May ``user`` add a message to the thread? (an élu must see the request)."""
    if can_handle(user, request):
        return True
    return getattr(user, "is_elu", False) and ContactRequest.objects.visible_to(user).filter(pk=request.pk).exists()


def can_close(user, request: ContactRequest) -> bool:
    return can_handle(user, request) or (user.is_authenticated and request.requester_id == user.pk)
