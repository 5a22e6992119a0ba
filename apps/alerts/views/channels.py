from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agentgov.forms import call_service
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.alerts import selectors, services
from apps.alerts.forms import AcknowledgeForm, ChannelForm
from apps.alerts.models import Channel, DeliveryResult
from apps.alerts.views.common import GET_POST, form_page, posted


@require(Capability.VIEW)
def channel_list(request):
    return render(request, "alerts/channel_list.html", {"channels": selectors.channel_list()})


@require(Capability.MANAGE)
def channel_detail(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    context = {"channel": channel, "deliveries": selectors.channel_deliveries(channel)}
    return render(request, "alerts/channel_detail.html", context)


@require(Capability.MANAGE)
@GET_POST
def channel_create(request):
    form = ChannelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        channel = call_service(form, services.channel_create, actor=request.user, **form.service_kwargs())
        if channel is not None:
            messages.success(request, f"Channel {channel.name} added. Send a test to check it.")
            return redirect("alerts:channel_detail", pk=channel.pk)
    return form_page(request, "alerts/channel_form.html", {"form": form, "channel": None})


@require(Capability.MANAGE)
@GET_POST
def channel_edit(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    form = ChannelForm(posted(request), channel=channel)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.channel_update, channel=channel, actor=request.user, **form.service_kwargs()
        )
        if saved is not None:
            messages.success(request, f"Channel {saved.name} saved.")
            return redirect("alerts:channel_detail", pk=pk)
    return form_page(request, "alerts/channel_form.html", {"form": form, "channel": channel})


@require(Capability.MANAGE)
@require_POST
def channel_test(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    delivery = services.channel_test(channel=channel, actor=request.user)
    if delivery.result == DeliveryResult.SENT:
        messages.success(request, f"Test sent to {channel.name}.")
    else:
        messages.error(request, f"The test to {channel.name} failed: {delivery.error}")
    return redirect("alerts:channel_detail", pk=pk)


def _channel_action(request, pk: int, service, done: str):
    channel = get_object_or_404(Channel, pk=pk)
    form = AcknowledgeForm(request.POST)
    if call_service(form, service, channel=channel, actor=request.user) is not None:
        messages.success(request, done.format(name=channel.name))
    else:
        messages.error(request, " ".join(form.non_field_errors()))
    return redirect("alerts:channel_detail", pk=pk)


@require(Capability.MANAGE)
@require_POST
def channel_enable(request, pk: int):
    return _channel_action(request, pk, services.channel_enable, "Channel {name} is enabled again.")


@require(Capability.MANAGE)
@require_POST
def channel_disable(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, "Say why the channel is disabled; nothing was changed.")
    else:
        services.channel_disable(channel=channel, actor=request.user, reason=reason)
        messages.success(request, f"Channel {channel.name} is disabled; nothing is sent to it.")
    return redirect("alerts:channel_detail", pk=pk)


@require(Capability.MANAGE)
@require_POST
def channel_rotate_secret(request, pk: int):
    return _channel_action(
        request, pk, services.channel_rotate_secret, "New signing secret for {name}: update the receiver."
    )
