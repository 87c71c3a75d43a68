import secrets

from django.conf import settings


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
            img_src = "'self' data:"
            if settings.MAP_TILES_URL:
                img_src += " https:"
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
