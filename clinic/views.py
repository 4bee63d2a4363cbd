from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect


class SignInView(auth_views.LoginView):
    pass


class SignOutView(auth_views.LogoutView):
    pass


def home(request):
    return redirect("login")


def healthz(request):
    return JsonResponse({})
