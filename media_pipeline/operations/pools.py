"""Pause, resume and size the concurrency pools, on the instance's own pool limits.

A pause sets a pool's limit to 0 and keeps, in the instance's key-value store, when it was
paused and the limit to give back; the UI's Concurrency page shows the same limit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import dagster as dg

from media_pipeline.operations.scopes import POOLS, SCOPES, scope_pools

_KEY = "media_pipeline/paused/{pool}"


@dataclass(frozen=True)
class PoolState:
    pool: str
    limit: int | None  # None: no limit set and no default
    from_default: bool  # dagster.yaml's default_limit, never set for this pool
    running: int  # steps holding a slot
    waiting: int  # steps waiting for a slot
    paused_since: str | None
    resume_limit: int | None  # the limit a resume gives back

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _default_limit(instance: dg.DagsterInstance) -> int | None:
    return instance.get_concurrency_config().pool_config.default_pool_limit


def _pause_records(instance: dg.DagsterInstance, pools: tuple[str, ...]) -> dict[str, dict]:
    keys = {_KEY.format(pool=pool): pool for pool in pools}
    stored = instance.run_storage.get_cursor_values(set(keys))
    return {keys[key]: json.loads(value) for key, value in stored.items() if value}


def _states(instance: dg.DagsterInstance, pools: tuple[str, ...]) -> list[PoolState]:
    records = _pause_records(instance, pools)
    infos = instance.event_log_storage.get_concurrency_infos(list(pools))
    states = []
    for pool in pools:
        info = infos[pool]
        record = records.get(pool)
        limit = info.limit
        # A pool nobody has used yet has no slots: the default applies when a step claims one.
        from_default = info.using_default_limit or (info.slot_count == 0 and record is None)
        if from_default:
            limit = _default_limit(instance)
        states.append(
            PoolState(
                pool=pool,
                limit=limit,
                from_default=from_default,
                running=info.active_slot_count,
                waiting=info.pending_step_count,
                paused_since=record["since"] if record and limit == 0 else None,
                resume_limit=record["limit"] if record and limit == 0 else None,
            )
        )
    return states


def pool_states(instance: dg.DagsterInstance, pool: str | None = None) -> list[PoolState]:
    """Every pool this code location uses and any other the instance has a limit for."""
    known = tuple(
        dict.fromkeys([*POOLS, *sorted(instance.event_log_storage.get_concurrency_keys())])
    )
    return _states(instance, (pool,) if pool else known)


def is_paused(instance: dg.DagsterInstance, pool: str) -> bool:
    """One key-value read: running batches ask it between files."""
    return bool(_pause_records(instance, (pool,)))


def paused_scopes(instance: dg.DagsterInstance) -> dict[str, str]:
    """scope -> since when (ISO 8601), for each scope whose every pool is paused."""
    states = {state.pool: state for state in _states(instance, POOLS)}
    paused = {}
    for scope, pools in SCOPES.items():
        since = [states[pool].paused_since for pool in pools]
        if all(since):
            paused[scope] = min(s for s in since if s)
    return paused


def pause(instance: dg.DagsterInstance, scope: str) -> list[PoolState]:
    """Limit the scope's pools to 0: steps already running finish, later ones wait."""
    pools = scope_pools(scope)
    records = _pause_records(instance, pools)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for state in _states(instance, pools):
        if state.pool in records and state.limit == 0:
            continue  # already paused: keep when, and the limit to give back
        record = {"since": now, "limit": state.limit}
        instance.run_storage.set_cursor_values({_KEY.format(pool=state.pool): json.dumps(record)})
        instance.event_log_storage.set_concurrency_slots(state.pool, 0)
    return _states(instance, pools)


def resume(instance: dg.DagsterInstance, scope: str) -> list[PoolState]:
    """Give the scope's paused pools their limits back; waiting steps start as slots free."""
    pools = scope_pools(scope)
    records = _pause_records(instance, pools)
    for state in _states(instance, pools):
        if state.limit != 0:
            continue
        record = records.get(state.pool) or {}
        limit = record.get("limit")
        if limit is None:
            limit = _default_limit(instance) or 1
        instance.event_log_storage.set_concurrency_slots(state.pool, limit)
        instance.run_storage.set_cursor_values({_KEY.format(pool=state.pool): ""})
    return _states(instance, pools)


def set_limit(instance: dg.DagsterInstance, pool: str, limit: int) -> PoolState:
    """Set a pool's limit; a paused pool stays paused and gets `limit` when resumed."""
    if limit < 0:
        raise ValueError("a pool limit is 0 or more")
    [state] = _states(instance, (pool,))
    if state.paused_since is not None:
        record = {"since": state.paused_since, "limit": limit}
        instance.run_storage.set_cursor_values({_KEY.format(pool=pool): json.dumps(record)})
    else:
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    [state] = _states(instance, (pool,))
    return state
