"""Writing the audit trail; every staff write calls ``record`` in the same transaction as the change."""
import logging

from participation.extensions import db
from participation.models import AuditEvent

logger = logging.getLogger(__name__)


def record(actor, action: str, obj=None, *, object_type: str | None = None, object_id=None, community=None,
           channel: str = "web", **detail) -> AuditEvent:
    """Add an audit row for ``action`` on ``obj`` by ``actor`` (a User, or None for the system)."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action, object_type=object_type or "-",
        object_id=None if object_id is None else str(object_id),
        community_id=getattr(community, "id", community), channel=channel,
        detail={key: _jsonable(value) for key, value in detail.items()},
    )
    db.session.add(event)
    # The mirror in the log: ids and counts only. ``detail`` also holds words (a typed username, a roster's phones).
    logger.info("audit %s", action, extra={
        "action": action, "object_type": event.object_type, "object_id": event.object_id,
        "actor_id": event.actor_id, "community_id": event.community_id, "channel": channel,
        **{f"detail_{key}": value for key, value in detail.items()
           if isinstance(value, (int, float)) and not isinstance(value, bool)}})
    return event


def apply_changes(obj, values: dict, fields) -> dict:
    """Set ``values`` on ``obj`` and flush; return {field: [before, after]} for those of ``fields`` that changed,
    as the audit rows of updates record them."""
    before = {name: getattr(obj, name) for name in fields}
    for name, value in values.items():
        setattr(obj, name, value)
    db.session.flush()
    return {name: [before[name], getattr(obj, name)] for name in fields if getattr(obj, name) != before[name]}


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
