"""Signed checkpoints of every chain head, written by Celery beat."""

import hashlib
import hmac

from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from apps.audit.models import ChainCheckpoint, ChainHead, CheckpointKind


def checkpoint_signature(*, key: str, seq: int, hash: str, kind: str, created_at) -> str:
    message = f"{key}|{seq}|{hash}|{kind}|{created_at.isoformat()}".encode()
    return hmac.new(settings.AUDIT_SIGNING_KEY.encode(), message, hashlib.sha256).hexdigest()


def checkpoint_is_authentic(checkpoint: ChainCheckpoint) -> bool:
    expected = checkpoint_signature(
        key=checkpoint.key,
        seq=checkpoint.seq,
        hash=checkpoint.hash,
        kind=checkpoint.kind,
        created_at=checkpoint.created_at,
    )
    return hmac.compare_digest(expected, checkpoint.signature)


def checkpoint_create(
    *, key: str, seq: int, hash: str, kind: str = CheckpointKind.PERIODIC
) -> ChainCheckpoint:
    # Microseconds are dropped so the signed timestamp survives any database's round trip.
    created_at = timezone.now().replace(microsecond=0)
    checkpoint = ChainCheckpoint(
        key=key,
        seq=seq,
        hash=hash,
        kind=kind,
        created_at=created_at,
        signature=checkpoint_signature(key=key, seq=seq, hash=hash, kind=kind, created_at=created_at),
    )
    ChainCheckpoint.objects.bulk_create([checkpoint], ignore_conflicts=True)
    return checkpoint


def checkpoints_write_due() -> int:
    """Sign every chain head that moved since its last periodic checkpoint. Running twice
    writes nothing the second time (and a race is absorbed by the unique constraint)."""
    last_signed = ChainCheckpoint.objects.filter(key=OuterRef("key"), kind=CheckpointKind.PERIODIC).order_by(
        "-seq"
    )
    moved = (
        ChainHead.objects.filter(seq__gt=0)
        .annotate(signed_seq=Subquery(last_signed.values("seq")[:1]))
        .filter(Q(signed_seq__isnull=True) | Q(signed_seq__lt=F("seq")))
    )
    written = 0
    for head in moved:
        checkpoint_create(key=head.key, seq=head.seq, hash=head.hash)
        written += 1
    return written
