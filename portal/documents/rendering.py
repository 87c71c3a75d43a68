"""HTML → PDF with WeasyPrint, offline: only local files (fonts, CSS) and ``data:`` URLs are ever read.

:class:`LocalOnlyFetcher` refuses every other URL (http, https, ftp, file outside the allowed folders), so a
stray remote reference in a template can neither leak a request nor slow a render; WeasyPrint logs the
refusal and renders without the resource. Files are written to a temporary file in the destination folder
and renamed into place (``os.replace`` is atomic on one file system): a reader never sees half a PDF.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .storage import atomic_write

logger = logging.getLogger(__name__)

FICHE_TEMPLATE = "documents/fiche/fiche_territoire.html"


def allowed_roots() -> list[Path]:
    """Folders the renderer may read: our print templates and static files, and the DSFR fonts."""
    import dsfr

    roots = [Path(settings.BASE_DIR) / "templates" / "documents" / "fiche", Path(settings.BASE_DIR) / "static"]
    roots.append(Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist" / "fonts")
    return [r.resolve() for r in roots]


def marianne_font_dir() -> Path:
    import dsfr

    return Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist" / "fonts"


class RemoteFetchRefused(ValueError):
    """A document referenced a URL the renderer does not fetch."""


class LocalOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads ``data:`` URLs and local files under :func:`allowed_roots` only.

    ``fetched`` and ``refused`` list what was asked, for tests and logs.
    """

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
        self.fetched: list[str] = []
        self.refused: list[str] = []
        self.roots = allowed_roots()

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots):
                self.fetched.append(url)
                return super().fetch(url, headers)
        self.refused.append(url)
        logger.warning("Fiche rendering: refused to fetch %s", url[:200])
        raise RemoteFetchRefused(f"URL non locale refusée : {url[:200]}")


def html_to_pdf(html: str, target: Path, *, fetcher=None) -> int:
    """Render ``html`` to the PDF file ``target`` (atomically). Returns the number of pages."""
    fetcher = fetcher or LocalOnlyFetcher()
    base_url = (Path(settings.BASE_DIR) / "templates" / "documents" / "fiche").as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    with atomic_write(target) as tmp:
        document.write_pdf(target=str(tmp))
    return len(document.pages)


def render_fiche_html(context: dict) -> str:
    context = {**context, "font_dir": marianne_font_dir().as_uri()}
    return render_to_string(FICHE_TEMPLATE, context)
