import secrets
from urllib.parse import urlsplit

from django.conf import settings


def tiles_origin(url: str) -> str:
    """The CSP source of a tile URL template: its scheme and host (``{s}`` subdomains as a wildcard)."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy: our own origin only, inline scripts only with the page nonce.

    Views and templates read ``request.csp_nonce`` to mark the inline scripts they emit (Folium maps).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            img_src = " ".join(filter(None, ["'self' data:", tiles_origin(settings.MAP_TILES_URL)]))
            response["Content-Security-Policy"] = (
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{request.csp_nonce}'; "
                "style-src 'self' 'unsafe-inline'; "
                f"img-src {img_src}; "
                "font-src 'self' data:; "
                "connect-src 'self'; "
                "frame-src 'self'; "
                "frame-ancestors 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'"
            )
        return response
