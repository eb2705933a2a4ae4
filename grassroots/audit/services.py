from __future__ import annotations

from typing import Any

from .models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: str | int = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        detail=detail or {},
    )
