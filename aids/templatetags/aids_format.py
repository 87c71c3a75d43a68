"""``{% load aids_format %}``: ``{{ some_date|jour }}`` → « 1er janvier 2026 »."""

from django import template

from aids.models import format_day

register = template.Library()


@register.filter
def jour(value):
    return format_day(value) if value else ""
