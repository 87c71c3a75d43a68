"""Pages that belong to no area: the public landing page."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render


@login_not_required
def landing(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    return render(request, "core/landing.html")
