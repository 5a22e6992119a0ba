import pytest
from django.core.management import call_command

from apps.alerts.models import Alert, AlertDelivery, AlertRule, Channel

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_channels_a_rule_and_alerts_with_deliveries_once():
    call_command("seed_demo")
    webhook = Channel.objects.get(name="Demo webhook")
    assert not webhook.enabled and "127.0.0.1:9" in webhook.target and webhook.disabled_reason
    assert Channel.objects.get(name="On-call email").enabled
    assert AlertRule.objects.filter(name="Fleet error rate").exists()
    assert set(Alert.objects.values_list("state", flat=True)) == {"firing", "resolved"}
    assert AlertDelivery.objects.filter(result="sent").count() == 3

    counts = (Channel.objects.count(), Alert.objects.count(), AlertDelivery.objects.count())
    call_command("seed_demo")
    assert (Channel.objects.count(), Alert.objects.count(), AlertDelivery.objects.count()) == counts
