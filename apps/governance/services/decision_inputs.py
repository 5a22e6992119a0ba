"""What a decision reads before it rules, in one statement: the agent's limits (locked), the
policy version in force, and the active holds.

Every agent request pays for this read, so it is hand-written SQL built once from `_meta`
(as the agent key read is): as three ORM queries it cost two more round trips, and compiling
them cost more than running them.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import orjson
from django.db import DEFAULT_DB_ALIAS, connections

from agentgov.rows import RowReader
from apps.governance.models import AgentLimits, PolicyVersion, ResourceHold

_LIMITS_ROW = RowReader(AgentLimits)
_POLICY_ROW = RowReader(PolicyVersion, only=["id", "number", "created_at"])  # what keys it


@dataclass(frozen=True)
class ActiveHold:
    pk: int
    pattern: str
    author_agent_id: int | None


@dataclass(frozen=True)
class DecisionInputs:
    limits: AgentLimits | None
    policy_key: tuple | None  # (number, pk, created_at) of the version in force; None: no policy yet
    holds: list[ActiveHold]


def _holds_as_json(vendor: str) -> str:
    if vendor == "postgresql":
        return "COALESCE(json_agg(json_build_array(h.id, h.pattern, h.author_agent_id))::text, '[]')"
    return "json_group_array(json_array(h.id, h.pattern, h.author_agent_id))"


@cache
def _sql(vendor: str) -> str:
    """`vendor` keys the cache: quoting, locking and JSON aggregation differ."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    # Locked so that one agent's concurrent requests are counted one after another: without
    # it, N parallel requests could all see room under a rate limit or budget. PostgreSQL
    # takes a lock written inside a WITH query, not one on the outer join.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    limits, policies, holds = (quote(m._meta.db_table) for m in (AgentLimits, PolicyVersion, ResourceHold))
    return (
        f"WITH lim AS (SELECT {_LIMITS_ROW.columns(connection, 'l')} FROM {limits} l "
        f"WHERE l.{column(AgentLimits, 'agent')} = %s{lock}), "
        f"pol AS (SELECT {_POLICY_ROW.columns(connection, 'p')} FROM {policies} p "
        f"ORDER BY p.{column(PolicyVersion, 'number')} DESC LIMIT 1) "
        "SELECT lim.*, pol.*, "
        f"(SELECT {_holds_as_json(vendor)} FROM {holds} h WHERE h.{column(ResourceHold, 'released_at')} IS NULL "
        f"AND (h.{column(ResourceHold, 'ends_at')} IS NULL OR h.{column(ResourceHold, 'ends_at')} > %s)) "
        "FROM (SELECT 1 AS one) base LEFT JOIN lim ON 1 = 1 LEFT JOIN pol ON 1 = 1"
    )


def decision_inputs(agent_id: int, now: datetime) -> DecisionInputs:
    """Call inside the decision's transaction: the limits row stays locked until it ends.

    The policy and the holds are read as of the statement's start, even when it waited for
    the lock: a hold placed while a decision is under way may miss it, as it would have
    missed one a moment earlier. What must see the previous decision (the rate and budget
    count) is read by a later statement, after the lock."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor), [agent_id, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    width = len(_LIMITS_ROW)
    limits = _LIMITS_ROW.build(connection, row) if row[0] is not None else None
    policy = _POLICY_ROW.build(connection, row, width) if row[width] is not None else None
    return DecisionInputs(
        limits=limits,
        policy_key=(policy.number, policy.pk, policy.created_at) if policy is not None else None,
        holds=[ActiveHold(*hold) for hold in orjson.loads(row[width + len(_POLICY_ROW)])],
    )
