from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic.forms import SignInForm
from clinic.health import check_broker, check_database


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


@login_required
def home(request):
    """Send each role to its own start page."""
    actor = request.actor
    if actor.is_staff_member:
        return redirect("patients:list")
    if actor.is_patient:
        return redirect("patients:today")
    return render(request, "clinic/no_role.html", status=403)


@never_cache
@require_GET
def healthz(request):
    database, broker = check_database(), check_broker()
    healthy = database.ok and broker.ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": database.ok, "detail": database.detail},
        "broker": {"ok": broker.ok, "detail": broker.detail},
    }
    return JsonResponse(body, status=200 if healthy else 503)
