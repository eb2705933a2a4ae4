"""Writes and state changes of the base database (imports, resolution, merges, visits,
reveals). Each state change runs in one transaction with its audit row.

Imports (:func:`import_file`, :func:`import_run`): the file is read and every row
validated first (``processed_rows`` moves as it goes, for the progress bar); then every
valid row is written in ONE transaction, with the rejects and the houses/organisations
the rows resolve to. A file refused as a whole (wrong columns, undecodable, empty, too big)
or a failure while writing leaves nothing behind but the batch row saying why.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.audit.services import audit_record
from grassroots.core.crypto import decrypt
from grassroots.core.errors import NotFound, ValidationFailed

from . import resolve
from .choices import EntityType, ImportStatus
from .importer import (
    FileRefused,
    RejectedRow,
    RowValidator,
    ValidRow,
    encrypt_raw,
    iter_chunks,
    map_headers,
    read_table,
    record_data,
    rejects_csv,
)
from .models import ImportBatch, ImportReject, Source, SourceRecord, seal_id_number, seal_phone
from .sources import SourceSpec, spec_for

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with the number of rows just processed
PROGRESS_EVERY = 500
WRITE_BATCH = 1000


def _source(source: Source | str) -> Source:
    if isinstance(source, Source):
        return source
    try:
        return Source.objects.get(key=source)
    except Source.DoesNotExist:
        raise NotFound(_("没有这个数据来源。"), field="source") from None


# --- imports ---------------------------------------------------------------------------------


def import_create_batch(
    *,
    source: Source | str,
    user: Any,
    path: str | os.PathLike[str] | None = None,
    file: IO[bytes] | File | None = None,
    name: str = "",
    observed_at: date | None = None,
    resubmission_of: ImportBatch | None = None,
) -> ImportBatch:
    """Store an uploaded file (or one on disk) as a pending batch of ``source``."""
    src = _source(source)
    if resubmission_of is not None and resubmission_of.source_id != src.pk:
        raise ValidationFailed(
            _("更正重报的文件必须属于原批次的数据来源。"), field="resubmission_of"
        )
    if (path is None) == (file is None):
        raise ValueError("give path or file")
    if path is not None:
        name = name or Path(path).name
        handle: Any = open(path, "rb")  # noqa: SIM115 - closed below
    else:
        handle = file
        name = name or Path(getattr(file, "name", "") or "upload.csv").name
    try:
        batch = ImportBatch(
            source=src,
            original_name=name[:255],
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
            resubmission_of=resubmission_of,
            observed_at=observed_at or timezone.localdate(),
        )
        with transaction.atomic():
            batch.file.save(name, handle if isinstance(handle, File) else File(handle), save=False)
            batch.save()
            audit_record(
                actor=user,
                action="registry.import_upload",
                target_type="registry.importbatch",
                target_id=batch.pk,
                detail={"source": src.key, "file": batch.original_name},
            )
    finally:
        if path is not None:
            handle.close()
    return batch


def import_file(
    *,
    source: Source | str,
    user: Any,
    path: str | os.PathLike[str] | None = None,
    file: IO[bytes] | File | None = None,
    name: str = "",
    observed_at: date | None = None,
    resubmission_of: ImportBatch | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Import one department file now: store it, validate every row, write all valid rows
    in one transaction (or none), keep the rejects. Returns the finished batch (``status``
    ``done``, or ``failed`` with ``error`` saying why nothing was written)."""
    batch = import_create_batch(
        source=source,
        user=user,
        path=path,
        file=file,
        name=name,
        observed_at=observed_at,
        resubmission_of=resubmission_of,
    )
    return import_run(batch=batch, progress=progress)


def _update(batch: ImportBatch, **fields: Any) -> None:
    for key, value in fields.items():
        setattr(batch, key, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)


def _fail(batch: ImportBatch, message: str, *, code: str) -> ImportBatch:
    _update(
        batch,
        status=ImportStatus.FAILED,
        error=message,
        finished_at=timezone.now(),
        accepted_rows=0,
        duplicate_rows=0,
        rejected_rows=0,
    )
    with transaction.atomic():
        audit_record(
            actor=batch.uploaded_by,
            action="registry.import_refused",
            target_type="registry.importbatch",
            target_id=batch.pk,
            reason=message[:255],
            detail={"source": batch.source.key, "code": code},
        )
    return batch


@dataclass
class _Checked:
    valid: list[ValidRow]
    rejected: list[RejectedRow]
    duplicates_in_file: int
    already_imported: int


def import_run(*, batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Validate and write a pending batch (the import job calls this)."""
    if batch.status != ImportStatus.PENDING:
        raise ValidationFailed(_("该批次已处理过。"), field="batch")
    spec = spec_for(batch.source.key)
    _update(batch, status=ImportStatus.VALIDATING, started_at=timezone.now())
    try:
        table = read_table(batch.file.path, name=batch.original_name)
        _update(
            batch,
            file_format=table.file_format,
            encoding=table.encoding,
            total_rows=len(table.rows),
        )
        mapping = map_headers(spec, table.headers)
    except FileRefused as refused:
        return _fail(batch, str(refused.message), code=refused.refusal)
    validator = RowValidator(
        spec,
        mapping,
        table.headers,
        default_observed_at=batch.observed_at,
        today=timezone.localdate(),
    )
    checked = _check_rows(batch, validator, table.rows, table.row_numbers, progress)
    _update(batch, status=ImportStatus.IMPORTING, processed_rows=len(table.rows))
    report: dict[str, Any] = {
        "unknown_columns": mapping.unknown,
        "blank_rows": table.blank_rows,
        "duplicates_in_file": checked.duplicates_in_file,
        "already_imported": checked.already_imported,
        "reject_codes": dict(
            Counter(reason["code"] for row in checked.rejected for reason in row.reasons)
        ),
    }
    try:
        with transaction.atomic():
            report.update(_write(batch, spec, validator, checked, progress))
            batch.status = ImportStatus.DONE
            batch.accepted_rows = len(checked.valid)
            batch.rejected_rows = len(checked.rejected)
            batch.duplicate_rows = checked.duplicates_in_file + checked.already_imported
            batch.finished_at = timezone.now()
            batch.report = report
            batch.error = ""
            batch.save(
                update_fields=[
                    "status",
                    "accepted_rows",
                    "rejected_rows",
                    "duplicate_rows",
                    "finished_at",
                    "report",
                    "error",
                    "updated_at",
                ]
            )
            audit_record(
                actor=batch.uploaded_by,
                action="registry.import",
                target_type="registry.importbatch",
                target_id=batch.pk,
                detail={
                    "source": spec.key,
                    "accepted": batch.accepted_rows,
                    "rejected": batch.rejected_rows,
                    "duplicates": batch.duplicate_rows,
                },
            )
    except Exception as exc:  # nothing was written: say so on the batch
        logger.exception("registry import %s failed while writing", batch.pk)
        return _fail(
            batch,
            _("写入数据时出错，本次导入没有写入任何数据（%(error)s）。请稍后重试或联系管理员。")
            % {"error": type(exc).__name__},
            code="write_failed",
        )
    return batch


def _check_rows(
    batch: ImportBatch,
    validator: RowValidator,
    rows: list[list[Any]],
    numbers: list[int],
    progress: Progress | None,
) -> _Checked:
    valid: list[ValidRow] = []
    rejected: list[RejectedRow] = []
    duplicates = 0
    for done, (number, cells) in enumerate(zip(numbers, rows, strict=True), start=1):
        result = validator.validate(number, cells)
        if isinstance(result, RejectedRow):
            rejected.append(result)
        elif validator.duplicate_of(result) is not None:
            duplicates += 1
        elif (clash := validator.key_clash(result)) is not None:
            rejected.append(RejectedRow(number, validator.raw(cells), [clash]))
        else:
            valid.append(result)
        if done % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=done)
            if progress:
                progress(PROGRESS_EVERY)
    if progress and len(rows) % PROGRESS_EVERY:
        progress(len(rows) % PROGRESS_EVERY)
    # rows this source sent before, unchanged: not imported twice
    hashes = sorted({row.content_hash for row in valid})
    known: set[str] = set()
    for chunk in iter_chunks(hashes, 500):
        known.update(
            SourceRecord.objects.filter(
                source_id=batch.source_id, content_hash__in=chunk, superseded=False
            ).values_list("content_hash", flat=True)
        )
    fresh = [row for row in valid if row.content_hash not in known]
    return _Checked(fresh, rejected, duplicates, len(valid) - len(fresh))


def _record_for(batch: ImportBatch, spec: SourceSpec, row: ValidRow) -> SourceRecord:
    values = row.values
    if spec.entity_type == EntityType.ORGANISATION:
        name = values.get("org_name", "")
    else:
        name = values.get("name", "")
    sealed: dict[str, str] = {}
    if row.id_number:
        sealed.update(seal_id_number(row.id_number))
    if row.phone:
        sealed.update(seal_phone(row.phone))
    parts = dict(row.address_parts)
    if row.address_key:
        parts["key"] = row.address_key
    return SourceRecord(
        batch=batch,
        source_id=batch.source_id,
        entity_type=spec.entity_type,
        row_number=row.row_number,
        source_key=str(values.get("source_key", ""))[:64],
        observed_at=row.observed_at or batch.observed_at,
        data=record_data(row),
        content_hash=row.content_hash,
        name=str(name)[:200],
        birth_date=values.get("birth_date"),
        sex=values.get("sex", "") if spec.entity_type == EntityType.PERSON else "",
        address=row.address[:255],
        address_parts=parts,
        **sealed,
    )


def _write(
    batch: ImportBatch,
    spec: SourceSpec,
    validator: RowValidator,
    checked: _Checked,
    progress: Progress | None,
) -> dict[str, Any]:
    """Everything an import writes; runs inside the import's one transaction."""
    # corrections: a row with a source key replaces the current record with that key
    keys = sorted(
        {str(r.values["source_key"]) for r in checked.valid if r.values.get("source_key")}
    )
    previous: dict[str, SourceRecord] = {}
    for chunk in iter_chunks(keys, 500):
        for old in SourceRecord.objects.filter(
            source_id=batch.source_id, source_key__in=chunk, superseded=False
        ):
            previous[old.source_key] = old
    if previous:
        SourceRecord.objects.filter(pk__in=[r.pk for r in previous.values()]).update(
            superseded=True
        )
    records = [_record_for(batch, spec, row) for row in checked.valid]
    for record in records:
        replaced = previous.get(record.source_key) if record.source_key else None
        if replaced is not None:
            record.person_id = replaced.person_id
    for chunk in iter_chunks(records, WRITE_BATCH):
        SourceRecord.objects.bulk_create(chunk)
    placement = resolve.Placement()
    resolve.place_houses(records, placement=placement)
    if spec.entity_type == EntityType.ORGANISATION:
        resolve.place_organisations(records, placement=placement)
    elif spec.entity_type == EntityType.FACILITY:
        resolve.place_facilities(records, placement=placement)
    SourceRecord.objects.bulk_update(
        records, ["house", "grid", "organisation", "facility"], batch_size=WRITE_BATCH
    )
    trust_for = resolve.trust_for_all()
    old_houses = {o.house_id for o in previous.values() if o.house_id}
    old_orgs = {o.organisation_id for o in previous.values() if o.organisation_id}
    old_facilities = {o.facility_id for o in previous.values() if o.facility_id}
    people = {o.person_id for o in previous.values() if o.person_id}
    resolve.recompute_houses(placement.house_ids | old_houses, trust_for=trust_for)
    resolve.recompute_organisations(placement.organisation_ids | old_orgs, trust_for=trust_for)
    resolve.recompute_facilities(placement.facility_ids | old_facilities, trust_for=trust_for)
    resolve.recompute_people(people, trust_for=trust_for)
    rejects = [
        ImportReject(
            batch=batch,
            row_number=row.row_number,
            raw=validator.masked(row.raw),
            raw_encrypted=encrypt_raw(row.raw),
            reasons=row.reasons,
        )
        for row in checked.rejected
    ]
    for chunk in iter_chunks(rejects, WRITE_BATCH):
        ImportReject.objects.bulk_create(chunk)
    return {**placement.as_report(), "superseded": len(previous)}


def import_rejects_file(*, batch: ImportBatch, user: Any) -> tuple[str, bytes]:
    """The rejects of a batch as a CSV to correct and re-submit: the original columns with
    the original (unmasked) values and a 错误原因 column. Audited: it holds personal data."""
    rejects = list(batch.rejects.order_by("row_number"))
    headers: list[str] = []
    rows: list[tuple[dict[str, str], str]] = []
    import json

    for reject in rejects:
        raw = json.loads(decrypt(reject.raw_encrypted)) if reject.raw_encrypted else reject.raw
        for header in raw:
            if header not in headers:
                headers.append(header)
        reason = "；".join(f"{r.get('message', '')}" for r in reject.reasons if r.get("message"))
        rows.append((raw, reason))
    with transaction.atomic():
        audit_record(
            actor=user,
            action="registry.rejects_download",
            target_type="registry.importbatch",
            target_id=batch.pk,
            detail={"rows": len(rows)},
        )
    stem = Path(batch.original_name or "import").stem
    return f"{stem}-rejects.csv", rejects_csv(headers, rows)
