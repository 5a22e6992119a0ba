"""factory_boy factories shared by every app's tests."""

import factory

from apps.accounts.models import User
from apps.accounts.roles import role_group
from apps.registry.models import Agent, AgentStatus, AgentVersion, RiskTier

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(role_group(role))


class AgentFactory(factory.django.DjangoModelFactory):
    """An agent written straight to the table: fast, but without audit history.
    Use the registry services when the history matters."""

    class Meta:
        model = Agent

    slug = factory.Sequence(lambda n: f"agent-{n}")
    name = factory.LazyAttribute(lambda a: a.slug.replace("-", " ").title())
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    team = "platform"
    risk_tier = RiskTier.MEDIUM
    status = AgentStatus.REGISTERED


class AgentVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentVersion

    agent = factory.SubFactory(AgentFactory)
    label = factory.Sequence(lambda n: f"1.{n}.0")
    model = "gpt-4.1"
    created_by = factory.SelfAttribute("agent.owner")
