"""People and their roles in the Django admin."""

from django.urls import reverse


def test_admin_site_lists_users(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
