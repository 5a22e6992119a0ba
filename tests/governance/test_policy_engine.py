"""The pure policy engine: matching, operators, tier defaults, validation, YAML."""

import pytest

from apps.governance.policy import (
    PolicyInvalid,
    compile_policy,
    policy_diff,
    policy_from_yaml,
    policy_to_yaml,
)

AGENT = {
    "slug": "deploy-bot",
    "tier": "medium",
    "tags": ["infra", "prod"],
    "team": "platform",
    "environment": "production",
}


def decide(rules, *, agent=AGENT, action="deploy", resource="service:payments", params=None):
    policy = compile_policy({"rules": rules})
    return policy.evaluate(agent=agent, action=action, resource=resource, params=params or {})


def rule(**fields):
    return {"name": "r", "effect": "deny", **fields}


@pytest.mark.parametrize(
    ("spec", "matches"),
    [
        ("any", True),
        ("*", True),
        ("slug:deploy-bot", True),
        ("slug:other-bot", False),
        ("tag:infra", True),
        ("tag:finance", False),
        ("tier:medium", True),
        ("tier:critical", False),
    ],
)
def test_rules_match_on_agent_slug_tag_tier_or_any(spec, matches):
    assert decide([rule(agent=spec)]).effect == ("deny" if matches else "allow")


@pytest.mark.parametrize(
    ("action", "resource", "matches"),
    [
        ("db.*", "*", True),
        ("db.drop", "*", True),
        ("db.?rop", "db:prod/*", True),
        ("deploy", "db:staging/*", False),
        ("refund.*", "*", False),
        ("*", "db:prod/users", True),
    ],
)
def test_rules_match_action_and_resource_globs(action, resource, matches):
    got = decide([rule(action=action, resource=resource)], action="db.drop", resource="db:prod/users")
    assert got.effect == ("deny" if matches else "allow")


@pytest.mark.parametrize(
    ("op", "value", "actual", "matches"),
    [
        ("eq", 5, 5, True),
        ("eq", 5, 6, False),
        ("ne", "eu", "us", True),
        ("ne", "eu", "eu", False),
        ("lt", 10, 9.5, True),
        ("lt", 10, 10, False),
        ("lte", 10, 10, True),
        ("lte", 10, 11, False),
        ("gt", 1000, 1000.01, True),
        ("gt", 1000, 1000, False),
        ("gte", 1000, 1000, True),
        ("gte", 1000, 999, False),
        ("in", ["eu", "uk"], "uk", True),
        ("in", ["eu", "uk"], "us", False),
        ("matches", r"^prod-\d+$", "prod-12", True),
        ("matches", r"^prod-\d+$", "staging-1", False),
        ("gt", 1000, "lots", False),  # a string never compares with a number
        ("gt", 1000, True, False),  # nor does a boolean
    ],
)
def test_every_condition_operator(op, value, actual, matches):
    got = decide([rule(when=[{"path": "params.x", "op": op, "value": value}])], params={"x": actual})
    assert got.effect == ("deny" if matches else "allow")


def test_conditions_read_dotted_paths_and_all_must_hold():
    rules = [
        rule(
            when=[
                {"path": "params.customer.country", "op": "eq", "value": "fr"},
                {"path": "params.items.0.qty", "op": "gte", "value": 2},
                {"path": "agent.team", "op": "eq", "value": "platform"},
            ]
        )
    ]
    assert decide(rules, params={"customer": {"country": "fr"}, "items": [{"qty": 3}]}).effect == "deny"
    assert decide(rules, params={"customer": {"country": "de"}, "items": [{"qty": 3}]}).effect == "allow"


def test_a_missing_path_never_matches_even_with_ne():
    assert decide([rule(when=[{"path": "params.region", "op": "ne", "value": "eu"}])]).effect == "allow"


def test_first_matching_rule_wins_and_is_named():
    got = decide([rule(name="first", effect="allow"), rule(name="second", effect="deny")])
    assert (got.effect, got.rule) == ("allow", "first")


def test_require_approval_carries_role_count_and_expiry_with_defaults():
    got = decide([rule(effect="require_approval")])
    assert (got.approvals, got.approver_role, got.expires_in_minutes) == (1, "reviewer", 60)
    got = decide([rule(effect="require_approval", approvers=3, expires_in_minutes=15)])
    assert (got.approvals, got.expires_in_minutes) == (3, 15)


@pytest.mark.parametrize(
    ("tier", "effect", "approvals"),
    [
        ("low", "allow", 0),
        ("medium", "allow", 0),
        ("high", "require_approval", 1),
        ("critical", "require_approval", 2),
    ],
)
def test_tier_defaults_when_nothing_matches(tier, effect, approvals):
    got = decide([rule(action="nothing")], agent={**AGENT, "tier": tier})
    assert (got.effect, got.approvals, got.rule) == (effect, approvals, f"tier-default:{tier}")


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"effect": "maybe"}, "rules[1].effect", "effect must be one of"),
        ({"agent": "team:x"}, "rules[1].agent", "not 'any'"),
        ({"agent": "tier:huge"}, "rules[1].agent", "tier must be one of"),
        ({"when": [{"path": "amount", "op": "gt", "value": 1}]}, "rules[1].when[0].path", "path must start"),
        (
            {"when": [{"path": "params.a", "op": "between", "value": 1}]},
            "rules[1].when[0].op",
            "op must be one of",
        ),
        ({"when": [{"path": "params.a", "op": "in", "value": 1}]}, "rules[1].when[0].value", "needs a list"),
        (
            {"when": [{"path": "params.a", "op": "matches", "value": "("}]},
            "rules[1].when[0].value",
            "bad regular",
        ),
        (
            {"when": [{"path": "params.a", "op": "gt", "value": [1]}]},
            "rules[1].when[0].value",
            "needs a number",
        ),
        ({"effect": "require_approval", "approvers": 0}, "rules[1].approvers", "from 1 to 5"),
        ({"effect": "require_approval", "approver_role": "boss"}, "rules[1].approver_role", "must be one of"),
        ({"effect": "allow", "approvers": 2}, "rules[1].approvers", "only require_approval"),
        ({"colour": "red"}, "rules[1].colour", "unknown field"),
        ({"name": "ok"}, "rules[1].name", "another rule has this name"),
    ],
)
def test_validation_names_the_bad_rule_by_index_name_and_field(bad, field, words):
    rules = [rule(name="ok"), {**rule(name="bad-one"), **bad}]
    with pytest.raises(PolicyInvalid) as caught:
        compile_policy({"rules": rules})
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.message.startswith("rule 2 (")  # counted from 1, as the page shows


def test_a_rule_without_name_is_refused():
    with pytest.raises(PolicyInvalid, match="every rule needs a name"):
        compile_policy({"rules": [{"effect": "allow"}]})


def test_yaml_round_trip_and_errors_name_the_line():
    text = """
holds: deny
rules:
  - name: big-refunds
    action: refund.*
    when:
      - {path: params.amount, op: gt, value: 1000}
    effect: require_approval
    approvers: 2
"""
    document = policy_from_yaml(text)
    assert document["holds"] == "deny"
    assert policy_from_yaml(policy_to_yaml(document)) == document
    with pytest.raises(PolicyInvalid, match="not valid YAML at line 3"):
        policy_from_yaml("rules:\n  - name: [unclosed\n")


def test_diff_shows_the_changed_rule():
    old = {"holds": "escalate", "rules": [rule(name="a")]}
    new = {"holds": "escalate", "rules": [rule(name="a", effect="allow")]}
    diff = policy_diff(old, new, old_label="v1", new_label="v2")
    assert "-  effect: deny" in diff and "+  effect: allow" in diff
