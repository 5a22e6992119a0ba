from apps.accounts.roles import Capability, user_capabilities, user_roles


def roles(request):
    """Lets templates show only what the user may do: `{% if can.manage %}`."""
    user = getattr(request, "user", None)
    granted = user_capabilities(user)
    return {
        "can": {capability.value: capability in granted for capability in Capability},
        "user_roles": sorted(role.value for role in user_roles(user)),
    }
