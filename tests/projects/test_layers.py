"""The projects app is a domain app: it never imports the web layer."""

import ast
from pathlib import Path

from django.conf import settings


def test_projects_never_imports_portal():
    offenders = []
    for path in (Path(settings.BASE_DIR) / "projects").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n == "portal" or n.startswith("portal.")]
    assert offenders == []
