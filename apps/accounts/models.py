from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who uses agentgov in the browser; roles are Django groups (see roles.py)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
