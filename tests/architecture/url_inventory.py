"""Every URL name and every API path the project serves, as sorted text lines (used by the test and to
refresh the snapshot: ``python -m tests.architecture.url_inventory > tests/architecture/url_inventory.txt``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield name, route


def inventory() -> list[str]:
    """``name <name>`` for every named pattern and ``api <route>`` for every route under ``api/``."""
    lines = set()
    for name, route in _walk(get_resolver().url_patterns):
        if name:
            lines.add(f"name {name}")
        path = route.replace("^", "").replace("$", "")  # "^api/.*/$" and "api/^.*/$" are the same address
        if path.startswith("api/"):
            lines.add(f"api {path}")
    return sorted(lines)


if __name__ == "__main__":
    import django

    django.setup()
    print("\n".join(inventory()))
