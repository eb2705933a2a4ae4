"""Writes and state changes of the base database (imports, resolution, merges, visits,
reveals). Each state change runs in one transaction with its audit row.

Imports (:func:`import_file`, :func:`import_run`): the file is read and every row
validated first (``processed_rows`` moves as it goes, for the progress bar); then every
valid row is written in ONE transaction, with the rejects and the houses/organisations
the rows resolve to. A file refused as a whole (wrong columns, undecodable, empty, too big)
or a failure while writing leaves nothing behind but the batch row saying why.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.audit.services import audit_record
from grassroots.core.crypto import decrypt
from grassroots.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from grassroots.org.choices import Role

from . import resolve
from .choices import EntityType, ImportStatus, MatchStatus, MergeReason
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
from .models import (
    Facility,
    House,
    ImportBatch,
    ImportReject,
    MatchCandidate,
    MergeEvent,
    Organisation,
    Person,
    Source,
    SourceRecord,
    Visit,
    seal_id_number,
    seal_phone,
)
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
    """Validate and write a pending batch (the import job calls this). The uploaded file
    is deleted afterwards, whatever the outcome: its personal data lives on only in the
    encrypted records and rejects."""
    if batch.status != ImportStatus.PENDING:
        raise ValidationFailed(_("该批次已处理过。"), field="batch")
    try:
        return _import_run(batch, progress)
    except Exception:
        if batch.status not in (ImportStatus.DONE, ImportStatus.FAILED):
            _fail(batch, _("导入时出错，没有写入任何数据。请联系管理员。"), code="error")
        raise
    finally:
        _discard_upload(batch)


def _discard_upload(batch: ImportBatch) -> None:
    if batch.file and batch.file.name:
        batch.file.storage.delete(batch.file.name)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
        batch.file.name = ""


def _sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _import_run(batch: ImportBatch, progress: Progress | None) -> ImportBatch:
    spec = spec_for(batch.source.key)
    _update(batch, status=ImportStatus.VALIDATING, started_at=timezone.now())
    try:
        _update(batch, report={"sha256": _sha256(batch.file.path)})
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
        **batch.report,
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


def _record_for(batch: ImportBatch, spec: SourceSpec, row: ValidRow) -> Any:
    """A new record as a light row object (``resolve.new_record``): written with
    ``fast_insert``, never saved as a model instance."""
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
    return resolve.new_record(
        batch_id=batch.pk,
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
    # houses, organisations and facilities first: the records are written already linked
    placement = resolve.Placement()
    resolve.place_houses(records, placement=placement)
    if spec.entity_type == EntityType.ORGANISATION:
        resolve.place_organisations(records, placement=placement)
    elif spec.entity_type == EntityType.FACILITY:
        resolve.place_facilities(records, placement=placement)
    for chunk in iter_chunks(records, WRITE_BATCH):
        resolve.fast_insert(SourceRecord, chunk)
    trust_for = resolve.trust_for_all()
    old_houses = {o.house_id for o in previous.values() if o.house_id}
    old_orgs = {o.organisation_id for o in previous.values() if o.organisation_id}
    old_facilities = {o.facility_id for o in previous.values() if o.facility_id}
    people = {o.person_id for o in previous.values() if o.person_id}
    # a house's golden values change only through records that carry house fields; a house
    # new from a person file gets the provenance of its address
    with_house_values = {
        r.house_id for r in records if r.house_id and resolve.HOUSE_VALUE_FIELDS & r.data.keys()
    }
    if spec.entity_type == EntityType.HOUSE:
        with_house_values |= placement.house_ids
    resolve.recompute_houses(with_house_values | old_houses, trust_for=trust_for)
    resolve.house_address_provenance(
        placement.created_house_ids - with_house_values - old_houses, trust_for=trust_for
    )
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


# --- people: resolution ------------------------------------------------------------------------

Stage = Callable[[str], None]  # called with the name of each step as it starts


def _person_frame(rows: list[dict[str, Any]], keys: dict[int, str]) -> Any:
    """The records as ``link_people`` wants them; ID and phone decrypted in memory only."""
    import pandas as pd

    return pd.DataFrame(
        {
            "record_id": [r["id"] for r in rows],
            "name": [r["name"] or None for r in rows],
            "sex": [r["sex"] or None for r in rows],
            "birth_date": [r["birth_date"].isoformat() if r["birth_date"] else None for r in rows],
            "id_number": [decrypt(r["id_number_encrypted"]) or None for r in rows],
            "phone": [decrypt(r["phone_encrypted"]) or None for r in rows],
            "address": [r["address"] or None for r in rows],
            "source": [keys.get(r["source_id"], "") for r in rows],
        }
    )


def _must_link(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Records a person put together: those of a person a steward merged (not undone), and
    records entered by hand (visits) with the person they were entered for."""
    human = set(
        MergeEvent.objects.filter(
            undone_at__isnull=True, reason__in=[MergeReason.REVIEW, MergeReason.MANUAL]
        ).values_list("survivor_id", flat=True)
    )
    by_person: dict[int, list[int]] = {}
    manual: list[tuple[int, int]] = []
    for row in rows:
        if row["person_id"] is not None:
            by_person.setdefault(row["person_id"], []).append(row["id"])
    pairs: list[tuple[int, int]] = []
    for person, ids in by_person.items():
        if person in human:
            pairs.extend(itertools.pairwise(ids))
    for row in rows:
        if row["batch_id"] is None and row["person_id"] is not None:
            first = by_person[row["person_id"]][0]
            if first != row["id"]:
                manual.append((first, row["id"]))
    return pairs + manual


def _cannot_link(merged_into: dict[int, int | None]) -> list[tuple[int, int]]:
    pairs = MatchCandidate.objects.filter(status=MatchStatus.REJECTED).values_list(
        "left_id", "right_id"
    )
    return [
        (resolve.active_root(a, merged_into), resolve.active_root(b, merged_into)) for a, b in pairs
    ]


def resolve_people(
    *,
    progress: Stage | None = None,
    user: Any = None,
    linkage_settings: Any = None,
) -> resolve.ResolveReport:
    """Link every current person record into golden persons (``registry.linkage``), keep
    golden ids stable, merge automatically above the merge threshold, queue review pairs.
    Decisions of stewards stand: a rejected pair is never merged nor queued again; records
    a steward merged stay together."""
    import time

    from .linkage import link_people

    started = time.perf_counter()
    report = resolve.ResolveReport()
    step = progress or (lambda _stage: None)
    step("gather")
    keys = resolve.source_keys()
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in SourceRecord.objects.filter(entity_type=EntityType.PERSON, superseded=False)
        .order_by("id")
        .values(*resolve.RECORD_COLUMNS, "person_id", "batch_id")
    ]
    report.records = len(rows)
    frame = _person_frame(rows, keys)
    step("link")
    result = link_people(frame, settings=linkage_settings)
    report.model_check = dict(result.model_check)
    clusters = dict(
        zip(
            result.clusters["record_id"].astype(int).tolist(),
            result.clusters["cluster_id"].tolist(),
            strict=True,
        )
    )
    del frame
    step("write")
    with transaction.atomic():
        merged_into: dict[int, int | None] = dict(
            Person.objects.values_list("id", "merged_into_id")
        )
        # who the records belong to now (a steward may have merged while the model ran)
        now_of = dict(
            SourceRecord.objects.filter(
                entity_type=EntityType.PERSON, superseded=False
            ).values_list("id", "person_id")
        )
        rows = [r for r in rows if r["id"] in now_of]
        for r in rows:
            r["person_id"] = now_of[r["id"]]
        current = {
            r["id"]: (
                resolve.active_root(now_of[r["id"]], merged_into) if now_of[r["id"]] else None
            )
            for r in rows
        }
        plan = resolve.plan_people(
            current,
            clusters,
            must_link=_must_link(rows),
            cannot_link=_cannot_link(merged_into),
        )
        report.clusters = len(plan.clusters)
        report.splits = plan.splits
        _apply_plan(plan, current, result.pairs, report, rows, keys)
        step("review")
        _queue_review(result.review, report)
        report.seconds = time.perf_counter() - started
        audit_record(
            actor=user,
            action="registry.resolve_people",
            target_type="registry.person",
            detail=report.as_dict(),
        )
    return report


def _apply_plan(
    plan: resolve.PeoplePlan,
    current: dict[int, int | None],
    pairs: Any,
    report: resolve.ResolveReport,
    rows: list[dict[str, Any]],
    keys: dict[int, str],
) -> None:
    """Write a resolution plan: new persons (with their golden values), moved records,
    automatic merges, and the golden values of every person whose records changed."""
    trust_for = resolve.trust_for_all()
    by_id = {row["id"]: row for row in rows}

    def cluster_rows(index: int) -> list[dict[str, Any]]:
        return [by_id[r] for r in plan.clusters[index]]

    new_clusters = [i for i in range(len(plan.clusters)) if i not in plan.person_of]
    fresh = []
    for index in new_clusters:
        person = resolve.new_row(Person)
        resolve.apply_person_golden(person, cluster_rows(index), keys, trust_for)
        fresh.append(person)
    for person, pk in zip(fresh, resolve.reserve_ids(Person, len(fresh)), strict=True):
        person.pk = pk
    resolve.fast_insert(Person, fresh, with_pk=True)
    keeper = dict(plan.person_of)
    for index, person in zip(new_clusters, fresh, strict=True):
        keeper[index] = person.pk
    report.people_created = len(fresh)
    report.people_kept = len(plan.person_of)
    moved = [SimpleNamespace(pk=r, person_id=keeper[i]) for r, i in plan.moves.items()]
    resolve.fast_update(SourceRecord, moved, ["person"])
    report.records_moved = sum(1 for r in plan.moves if current[r] is not None)
    # kept persons whose records changed: gained some, or lost some
    kept_index = {person: index for index, person in plan.person_of.items()}
    changed = {i for i in plan.moves.values() if i in plan.person_of}
    changed |= {
        kept_index[current[r]]  # type: ignore[index]
        for r in plan.moves
        if current[r] is not None and current[r] in kept_index
    }
    kept = list(Person.objects.filter(pk__in=[plan.person_of[i] for i in changed]))
    for person in kept:
        resolve.apply_person_golden(person, cluster_rows(kept_index[person.pk]), keys, trust_for)
    resolve.fast_update(Person, kept, resolve.PERSON_UPDATE_FIELDS)
    # automatic merges, with the best pair probability joining the two
    cluster_of = {r: i for i, members in enumerate(plan.clusters) for r in members}
    best: dict[int, float] = {}
    absorbed_records = {
        r: person for person, (_i, records) in plan.absorbed.items() for r in records
    }
    if len(pairs):
        for left, right, probability in zip(
            pairs["record_id_l"].tolist(),
            pairs["record_id_r"].tolist(),
            pairs["match_probability"].tolist(),
            strict=True,
        ):
            for a, b in ((left, right), (right, left)):
                giver = absorbed_records.get(a)
                if (
                    giver is not None
                    and cluster_of.get(b) == plan.absorbed[giver][0]
                    and absorbed_records.get(b) != giver
                ):
                    best[giver] = max(best.get(giver, 0.0), float(probability))
    events = []
    absorbed_people = list(Person.objects.filter(pk__in=list(plan.absorbed)))
    for person in absorbed_people:
        index, records = plan.absorbed[person.pk]
        person.is_active = False
        person.merged_into_id = keeper[index]
        events.append(
            MergeEvent(
                entity_type=EntityType.PERSON,
                survivor_id=keeper[index],
                absorbed_id=person.pk,
                moved_records=records,
                reason=MergeReason.AUTO,
                probability=best.get(person.pk),
            )
        )
    resolve.fast_update(Person, absorbed_people, ["is_active", "merged_into", "updated_at"])
    MergeEvent.objects.bulk_create(events, batch_size=1000)
    report.merges = len(events)
    # review pairs of a person that no longer stands alone are stale
    MatchCandidate.objects.filter(status=MatchStatus.PENDING).filter(
        Q(left__is_active=False) | Q(right__is_active=False)
    ).delete()


def _queue_review(review: Any, report: resolve.ResolveReport) -> None:
    """Queue each pair of different persons the model is unsure of, once per pair: a pair
    already queued, confirmed or rejected is not queued again."""
    if not len(review):
        report.review_pending = MatchCandidate.objects.filter(status=MatchStatus.PENDING).count()
        return
    record_ids = sorted(
        set(review["record_id_l"].astype(int).tolist()) | set(review["record_id_r"].astype(int))
    )
    person_of: dict[int, int] = {}
    for chunk in iter_chunks(record_ids, 500):
        person_of.update(
            SourceRecord.objects.filter(pk__in=chunk, person__is_active=True).values_list(
                "id", "person_id"
            )
        )
    wanted: dict[tuple[int, int], tuple[float, float, dict[str, Any]]] = {}
    for left, right, probability, weight, explanation in zip(
        review["record_id_l"].astype(int).tolist(),
        review["record_id_r"].astype(int).tolist(),
        review["match_probability"].tolist(),
        review["match_weight"].tolist(),
        review["explanation"].tolist(),
        strict=True,
    ):
        a, b = person_of.get(left), person_of.get(right)
        if a is None or b is None or a == b:
            continue
        key = (min(a, b), max(a, b))
        if key not in wanted or probability > wanted[key][0]:
            wanted[key] = (float(probability), float(weight), dict(explanation or {}))
    existing: set[tuple[int, int]] = set()
    people = sorted({p for pair in wanted for p in pair})
    for chunk in iter_chunks(people, 500):
        existing.update(
            MatchCandidate.objects.filter(left_id__in=chunk).values_list("left_id", "right_id")
        )
    new = [
        MatchCandidate(
            entity_type=EntityType.PERSON,
            left_id=a,
            right_id=b,
            probability=probability,
            match_weight=weight,
            explanation=explanation,
        )
        for (a, b), (probability, weight, explanation) in sorted(wanted.items())
        if (a, b) not in existing
    ]
    MatchCandidate.objects.bulk_create(new, batch_size=1000)
    report.review_queued = len(new)
    report.review_pending = MatchCandidate.objects.filter(status=MatchStatus.PENDING).count()


def recompute_person(*, person: Person) -> Person:
    """Recompute one golden person from its records (after a trust change, say)."""
    with transaction.atomic():
        resolve.recompute_people([person.pk])
    person.refresh_from_db()
    return person


def recompute_all() -> dict[str, int]:
    """Recompute every golden record (after the trust of a source changed)."""
    trust_for = resolve.trust_for_all()
    with transaction.atomic():
        return {
            "people": resolve.recompute_people(
                Person.objects.filter(is_active=True).values_list("id", flat=True),
                trust_for=trust_for,
            ),
            "houses": resolve.recompute_houses(
                House.objects.filter(is_active=True).values_list("id", flat=True),
                trust_for=trust_for,
            ),
            "organisations": resolve.recompute_organisations(
                Organisation.objects.filter(is_active=True).values_list("id", flat=True),
                trust_for=trust_for,
            ),
            "facilities": resolve.recompute_facilities(
                Facility.objects.filter(is_active=True).values_list("id", flat=True),
                trust_for=trust_for,
            ),
        }


# --- people: review, merge, unmerge ------------------------------------------------------------


def _lock_person(pk: int) -> Person:
    try:
        return Person.objects.select_for_update(of=("self",)).get(pk=pk)
    except Person.DoesNotExist:
        raise NotFound(_("没有找到该人员。")) from None


def merge_people(
    *,
    survivor: Person,
    absorbed: Person,
    user: Any,
    reason: str = MergeReason.MANUAL,
    candidate: MatchCandidate | None = None,
    probability: float | None = None,
    note: str = "",
) -> MergeEvent:
    """Merge ``absorbed`` into ``survivor``: its records move, it is deactivated, the
    survivor's golden record is recomputed. Undo with :func:`unmerge`."""
    if survivor.pk == absorbed.pk:
        raise ValidationFailed(_("不能把一个人员合并到自己。"))
    with transaction.atomic():
        first, second = sorted([survivor.pk, absorbed.pk])
        locked = {first: _lock_person(first), second: _lock_person(second)}
        survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
        if not (survivor.is_active and absorbed.is_active):
            raise Conflict(_("其中一条人员记录已被合并，请刷新后重试。"))
        moved = list(
            SourceRecord.objects.filter(person=absorbed).order_by("id").values_list("id", flat=True)
        )
        SourceRecord.objects.filter(pk__in=moved).update(person=survivor)
        absorbed.is_active = False
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["is_active", "merged_into", "updated_at"])
        event = MergeEvent.objects.create(
            entity_type=EntityType.PERSON,
            survivor=survivor,
            absorbed=absorbed,
            moved_records=moved,
            reason=reason,
            probability=probability,
            candidate=candidate,
            by=user if getattr(user, "is_authenticated", False) else None,
        )
        resolve.recompute_people([survivor.pk])
        stale = MatchCandidate.objects.filter(status=MatchStatus.PENDING).filter(
            Q(left=absorbed) | Q(right=absorbed)
        )
        if candidate is not None:
            stale = stale.exclude(pk=candidate.pk)
        stale.delete()
        audit_record(
            actor=user,
            action="registry.person_merge",
            target_type="registry.person",
            target_id=survivor.pk,
            reason=note[:255],
            detail={
                "absorbed": absorbed.pk,
                "records": moved,
                "reason": reason,
                "event": event.pk,
                "candidate": getattr(candidate, "pk", None),
            },
        )
    return event


def _lock_candidate(candidate: MatchCandidate) -> MatchCandidate:
    locked = MatchCandidate.objects.select_for_update(of=("self",)).get(pk=candidate.pk)
    if locked.status != MatchStatus.PENDING:
        raise Conflict(_("该疑似重复已经处理过。"))
    return locked


def _decide(candidate: MatchCandidate, *, status: str, user: Any, note: str) -> None:
    """Record the steward's decision on a locked pending pair, with its audit row."""
    candidate.status = status
    candidate.decided_by = user if getattr(user, "is_authenticated", False) else None
    candidate.decided_at = timezone.now()
    candidate.note = note
    candidate.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    verb = "confirm" if status == MatchStatus.CONFIRMED else "reject"
    audit_record(
        actor=user,
        action=f"registry.match_{verb}",
        target_type="registry.matchcandidate",
        target_id=candidate.pk,
        reason=note[:255],
        detail={
            "left": candidate.left_id,
            "right": candidate.right_id,
            "probability": candidate.probability,
        },
    )


def confirm_match(*, candidate: MatchCandidate, user: Any, note: str = "") -> MergeEvent:
    """The steward says the pair is one person: merge them (the one with more records
    survives; on a tie, the older record)."""
    with transaction.atomic():
        candidate = _lock_candidate(candidate)
        left, right = candidate.left, candidate.right
        counts = {p.pk: SourceRecord.objects.filter(person=p).count() for p in (left, right)}
        survivor, absorbed = sorted((left, right), key=lambda p: (-counts[p.pk], p.pk))
        _decide(candidate, status=MatchStatus.CONFIRMED, user=user, note=note)
        return merge_people(
            survivor=survivor,
            absorbed=absorbed,
            user=user,
            reason=MergeReason.REVIEW,
            candidate=candidate,
            probability=candidate.probability,
            note=note,
        )


def reject_match(*, candidate: MatchCandidate, user: Any, note: str = "") -> MatchCandidate:
    """The steward says the pair are two people: they are never queued again, and no later
    resolution merges them."""
    with transaction.atomic():
        candidate = _lock_candidate(candidate)
        _decide(candidate, status=MatchStatus.REJECTED, user=user, note=note)
    return candidate


def unmerge(*, event: MergeEvent, user: Any, reason: str = "") -> MergeEvent:
    """Undo a merge: the records it moved go back to the absorbed person, who is active
    again; both golden records are recomputed; the pair is recorded as two different
    people so that no later resolution merges them again."""
    with transaction.atomic():
        event = MergeEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
        if event.undone_at is not None:
            raise Conflict(_("该合并已经撤销过。"))
        first, second = sorted([event.survivor_id, event.absorbed_id])
        locked = {first: _lock_person(first), second: _lock_person(second)}
        survivor, absorbed = locked[event.survivor_id], locked[event.absorbed_id]
        if absorbed.merged_into_id != survivor.pk:
            raise Conflict(_("该人员之后又有变动，无法直接撤销这次合并。"))
        holders = set(
            SourceRecord.objects.filter(pk__in=event.moved_records)
            .exclude(person=None)
            .values_list("person_id", flat=True)
        )
        SourceRecord.objects.filter(pk__in=event.moved_records).update(person=absorbed)
        absorbed.is_active = True
        absorbed.merged_into = None
        absorbed.save(update_fields=["is_active", "merged_into", "updated_at"])
        event.undone_at = timezone.now()
        event.undone_by = user if getattr(user, "is_authenticated", False) else None
        event.save(update_fields=["undone_at", "undone_by", "updated_at"])
        left_id, right_id = sorted([survivor.pk, absorbed.pk])
        decided = {
            "status": MatchStatus.REJECTED,
            "decided_by": event.undone_by,
            "decided_at": event.undone_at,
            "note": reason or str(_("撤销合并")),
        }
        updated = MatchCandidate.objects.filter(left_id=left_id, right_id=right_id).update(
            **decided
        )
        if not updated:
            MatchCandidate.objects.create(
                entity_type=EntityType.PERSON,
                left_id=left_id,
                right_id=right_id,
                probability=event.probability or 0.0,
                **decided,
            )
        resolve.recompute_people(holders | {survivor.pk, absorbed.pk})
        audit_record(
            actor=user,
            action="registry.person_unmerge",
            target_type="registry.person",
            target_id=absorbed.pk,
            reason=reason[:255],
            detail={"survivor": survivor.pk, "event": event.pk, "records": event.moved_records},
        )
    return event


# --- visits, corrections, reveals ----------------------------------------------------------------

PERSON_CORRECTABLE = frozenset(
    {
        "name",
        "sex",
        "birth_date",
        "ethnicity",
        "id_number",
        "phone",
        "person_type",
        "relation_to_head",
        "household_no",
        "employer_uscc",
    }
)
HOUSE_CORRECTABLE = frozenset({"house_use", "area_m2", "owner_name"})


def record_visit(
    *,
    house: House,
    user: Any,
    person: Person | None = None,
    note: str = "",
    corrections: dict[str, Any] | None = None,
    at: Any = None,
) -> Visit:
    """A grid worker's visit to a house (optionally about one person living there). The
    corrections become a record of the ``community_visit`` source, with its own provenance,
    and the golden record is recomputed; nothing is overwritten in place."""
    from grassroots.core.scope import Action, scoped

    corrections = {k: v for k, v in (corrections or {}).items() if v not in (None, "")}
    allowed = (PERSON_CORRECTABLE | HOUSE_CORRECTABLE) if person else HOUSE_CORRECTABLE
    unknown = sorted(set(corrections) - allowed)
    if unknown:
        raise ValidationFailed(
            _("不能更正这些字段：%(fields)s。") % {"fields": "、".join(unknown)},
            field="corrections",
        )
    at = at or timezone.now()
    with transaction.atomic():
        if not scoped(
            user,
            House.objects.filter(pk=house.pk, is_active=True),
            unit_field="grid",
            action=Action.CHANGE,
        ).exists():
            raise NotFound(_("没有找到该房屋。"))
        if person is not None and not (
            person.is_active
            and (
                person.house_id == house.pk
                or scoped(
                    user,
                    Person.objects.filter(pk=person.pk),
                    unit_field="grid",
                    action=Action.CHANGE,
                ).exists()
            )
        ):
            raise NotFound(_("没有找到该人员。"))
        record = None
        if corrections:
            record = _visit_record(house=house, person=person, corrections=corrections, at=at)
        visit = Visit.objects.create(
            house=house,
            person=person,
            visited_by=user if getattr(user, "is_authenticated", False) else None,
            at=at,
            note=note,
            corrections=_masked_corrections(corrections),
            record=record,
        )
        audit_record(
            actor=user,
            action="registry.visit",
            target_type="registry.person" if person else "registry.house",
            target_id=person.pk if person else house.pk,
            detail={"visit": visit.pk, "house": house.pk, "fields": sorted(corrections)},
        )
    return visit


def _masked_corrections(corrections: dict[str, Any]) -> dict[str, str]:
    """What a visit changed, as shown in its history: ID and phone masked (the full values
    live encrypted in the visit's source record)."""
    from grassroots.core.masking import mask_id_number, mask_phone

    def compact(value: Any) -> str:
        return "".join(str(value).split())

    masks = {
        "id_number": lambda v: mask_id_number(compact(v).upper()),
        "phone": lambda v: mask_phone(compact(v).replace("-", "")),
    }
    return {k: masks[k](v) if k in masks else str(v) for k, v in corrections.items()}


def _visit_record(
    *, house: House, person: Person | None, corrections: dict[str, Any], at: Any
) -> SourceRecord:
    source = Source.objects.get(key="community_visit")
    spec = spec_for("community_visit")
    observed = timezone.localdate(at) if hasattr(at, "tzinfo") else at
    row, reasons = RowValidator.for_values(spec, corrections, observed_at=observed)
    if reasons:
        raise ValidationFailed(
            "；".join(r["message"] for r in reasons),
            field=reasons[0]["field"],
            details=reasons,
        )
    values = dict(row.values)
    values.pop("source_key", None)
    data = {k: v for k, v in record_data(row).items()}
    data["address"] = house.address
    sealed: dict[str, str] = {}
    if row.id_number:
        sealed.update(seal_id_number(row.id_number))
    if row.phone:
        sealed.update(seal_phone(row.phone))
    entity = EntityType.PERSON if person else EntityType.HOUSE
    record = SourceRecord.objects.create(
        batch=None,
        source=source,
        entity_type=entity,
        observed_at=observed,
        data=data,
        name=(values.get("name") or (person.name if person else ""))[:200],
        birth_date=values.get("birth_date"),
        sex=values.get("sex", "") if person else "",
        address=house.address,
        address_parts={"key": house.address_key},
        house=house,
        grid_id=house.grid_id,
        person=person,
        **sealed,
    )
    if person is not None:
        resolve.recompute_people([person.pk])
    if set(corrections) & HOUSE_CORRECTABLE:
        resolve.recompute_houses([house.pk])
    return record


REVEAL_ROLES = frozenset({Role.DATA_STEWARD, Role.ADMIN, Role.GRID_WORKER})
REVEAL_FIELDS = {"id_number": "id_number_encrypted", "phone": "phone_encrypted"}


def _person_visible(person: Person, user: Any) -> bool:
    from grassroots.core.scope import scoped

    if scoped(user, Person.objects.filter(pk=person.pk), unit_field="grid").exists():
        return True
    # records not yet placed in any grid are the data steward's to see and fix
    return (
        person.grid_id is None
        and getattr(user, "role", None)
        in (
            Role.DATA_STEWARD,
            Role.ADMIN,
        )
        and getattr(user, "is_active", False)
    )


def person_reveal(*, person: Person, user: Any, field: str, reason: str) -> str:
    """The full ID or phone number of a person, for roles whose work needs it (data
    stewards, administrators; grid workers for their own grid's people), with a stated
    reason; every reveal is audited in the same transaction."""
    if field not in REVEAL_FIELDS:
        raise ValidationFailed(_("只能查看身份证号或电话的完整内容。"), field="field")
    reason = (reason or "").strip()
    with transaction.atomic():
        if not _person_visible(person, user):
            raise NotFound(_("没有找到该人员。"))
        if getattr(user, "role", None) not in REVEAL_ROLES and not getattr(
            user, "is_superuser", False
        ):
            raise PermissionDeniedError(_("您的角色不能查看完整信息。"))
        if len(reason) < 2:
            raise ValidationFailed(_("请说明查看完整信息的原因。"), field="reason")
        audit_record(
            actor=user,
            action="registry.person_reveal",
            target_type="registry.person",
            target_id=person.pk,
            reason=reason[:255],
            detail={"field": field},
        )
        return decrypt(getattr(person, REVEAL_FIELDS[field]))


def person_read_audit(*, person: Person, user: Any, fields: list[str] | None = None) -> None:
    """Record that ``user`` opened ``person``'s record (every staff read is on record)."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="registry.person_read",
            target_type="registry.person",
            target_id=person.pk,
            detail={"fields": fields} if fields else {},
        )


# --- queue --------------------------------------------------------------------------------------


def import_submit(
    *,
    source: Source | str,
    user: Any,
    file: IO[bytes] | File,
    name: str = "",
    observed_at: date | None = None,
    resubmission_of: ImportBatch | None = None,
) -> ImportBatch:
    """Store an upload as a pending batch and queue its import (the page then polls the
    batch's ``processed_rows``)."""
    from . import tasks

    batch = import_create_batch(
        source=source,
        user=user,
        file=file,
        name=name,
        observed_at=observed_at,
        resubmission_of=resubmission_of,
    )
    transaction.on_commit(lambda: tasks.import_batch(batch.pk))
    return batch


def resolve_submit(*, user: Any) -> None:
    """Queue a resolution run (one at a time)."""
    from . import tasks

    with transaction.atomic():
        audit_record(actor=user, action="registry.resolve_requested", target_type="registry.person")
    transaction.on_commit(lambda: tasks.resolve_people(user_id=getattr(user, "pk", None)))


# --- places -------------------------------------------------------------------------------------


def houses_locate(*, points: dict[int, tuple[float, float]], user: Any = None) -> dict[str, int]:
    """Coordinates for houses (from the standard address library, a survey, a map click):
    each house goes into the grid that contains its point, and the people, organisations
    and records in it follow. Points outside every grid keep the house where it was."""
    ids = sorted(points)
    grids = resolve.locate_points([points[i] for i in ids])
    placed: dict[int, list[int]] = {}
    houses: list[House] = []
    with transaction.atomic():
        for chunk in iter_chunks(list(zip(ids, grids, strict=True)), 500):
            by_id = {h.pk: h for h in House.objects.filter(pk__in=[i for i, _g in chunk])}
            for house_id, grid_id in chunk:
                house = by_id.get(house_id)
                if house is None:
                    continue
                house.lon, house.lat = points[house_id]
                if grid_id is not None:
                    house.grid_id = grid_id
                    placed.setdefault(grid_id, []).append(house_id)
                houses.append(house)
        resolve.fast_update(House, houses, ["lon", "lat", "grid", "updated_at"])
        for grid_id, house_ids in placed.items():
            for chunk_ids in iter_chunks(house_ids, 500):
                Person.objects.filter(house_id__in=chunk_ids).update(grid_id=grid_id)
                Organisation.objects.filter(house_id__in=chunk_ids).update(grid_id=grid_id)
                SourceRecord.objects.filter(house_id__in=chunk_ids).update(grid_id=grid_id)
        audit_record(
            actor=user,
            action="registry.houses_locate",
            target_type="registry.house",
            detail={"houses": len(houses), "placed": sum(len(v) for v in placed.values())},
        )
    return {"houses": len(houses), "placed": sum(len(v) for v in placed.values())}
