"""Sign-in and sign-out; each attempt leaves an audit row."""

import ipaddress

from django.contrib.auth import views as auth_views

from apps.audit.models import EventStatus, EventType
from apps.audit.services import SYSTEM, record


def client_ip(request) -> str | None:
    """The peer address. Behind a reverse proxy this is the proxy's; X-Forwarded-For is
    not read, because any client can set it and the trail must not record a lie."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        record(
            actor=form.get_user(),
            type=EventType.ACCESS,
            name="user.login",
            source_ip=client_ip(self.request),
        )
        return response

    def form_invalid(self, form):
        # Failed attempts are evidence too (password guessing shows up in the trail).
        username = str(form.data.get("username", ""))[:150]
        record(
            actor=SYSTEM,
            type=EventType.ACCESS,
            name="user.login_failed",
            status=EventStatus.DENIED,
            data={"username": username},
            source_ip=client_ip(self.request),
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        # Recorded before the session ends, while we still know who it was.
        if request.user.is_authenticated:
            record(
                actor=request.user,
                type=EventType.ACCESS,
                name="user.logout",
                source_ip=client_ip(request),
            )
        return super().post(request, *args, **kwargs)
