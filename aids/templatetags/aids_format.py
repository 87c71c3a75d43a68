"""``{% load aids_format %}``: ``{{ some_date|jour }}`` → « 1er janvier 2026 », ``{{ amount|euros }}`` → « 38 000 € »."""

from django import template

from aids.formatting import format_euros
from aids.models import format_day

register = template.Library()


@register.filter
def jour(value):
    return format_day(value) if value else ""


@register.filter
def euros(value):
    """``{{ amount|euros }}`` → « 38 000 € » (French spaces); "" for no amount."""
    return format_euros(value) if value is not None else ""
