"""People and their roles in the Django admin."""

from django.urls import reverse


def test_admin_site_lists_users(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_granting_a_role_in_the_admin_is_audited(client, make_user, db):
    from apps.accounts.roles import role_group
    from apps.audit.models import AuditEvent

    boss = make_user(is_staff=True, is_superuser=True)
    bob = make_user()
    client.force_login(boss)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    response = client.post(
        url,
        {
            "username": bob.username,
            "email": bob.email,
            "is_active": "on",
            "groups": [role_group("admin").pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(name="admin.user.changed")
    assert event.actor_user == boss
    assert event.resource == f"accounts.user:{bob.pk}"
    assert "groups" in str(event.data["change"]).lower()


def test_editing_a_beat_schedule_in_the_admin_is_audited(client, make_user, db):
    from django_celery_beat.models import IntervalSchedule

    from apps.audit.models import AuditEvent

    client.force_login(make_user(is_staff=True, is_superuser=True))
    inline = {"periodictask_set-TOTAL_FORMS": 0, "periodictask_set-INITIAL_FORMS": 0}
    response = client.post(
        reverse("admin:django_celery_beat_intervalschedule_add"), {"every": 7, "period": "minutes", **inline}
    )
    assert response.status_code == 302
    schedule = IntervalSchedule.objects.get(every=7)
    event = AuditEvent.objects.get(name="admin.intervalschedule.added")
    assert event.resource == f"django_celery_beat.intervalschedule:{schedule.pk}"
