"""The audit trail in the Django admin: visible to staff, changeable by nobody."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def test_the_audit_admin_is_read_only_even_for_a_superuser(superuser_client, live_agent):
    event = AuditEvent.objects.first()
    changelist = superuser_client.get(reverse("admin:audit_auditevent_changelist"))
    change = superuser_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))

    assert changelist.status_code == 200
    assert b"append-only" in changelist.content
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert superuser_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
