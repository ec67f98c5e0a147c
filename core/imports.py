"""One import machinery for every kind of file: read, validate, preview (plan), write.

A kind (schools, dsls, attendance, contacts, early-help) declares its columns, its key, the
columns compared with what is stored and the model its rows become; everything else is shared.

Reading and parsing work column by column in Arrow and pandas, so a clean million-row file is read
and typed without a Python step per record, and its new rows go to the database in bulk
(core.bulk). Python goes row by row where a row needs words or an object of its own: each error
message and repeated key, the comparison with stored rows (``_same``, once any of the file's keys
is stored already), the rows ``stored_rows`` keeps from a whole-table read, the dicts of an update,
and the attendance kind's session keys.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from flask import current_app, has_app_context
from sqlalchemy import any_, bindparam, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql

from core import audit
from core.bulk import bulk_insert
from core.database import LARGEST_INTEGER
from core.extensions import db
from core.models import ImportBatch
from core.timefmt import ISO_DAY_SHAPE, UK_DAY_SHAPE, utcnow

MAX_ERRORS_SHOWN = 100
FIRST_DATA_ROW = 2  # the header is row 1, as a spreadsheet numbers it

EMAIL_PATTERN = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"


@dataclass(frozen=True)
class RowError:
    """What was wrong, and where: a row of the file (as a spreadsheet numbers it) and a column."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class RejectedFile(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass(frozen=True)
class Column:
    """A column of an import file and how its text becomes a value."""

    name: str
    kind: str = "text"  # text, email, integer, decimal, date, datetime, choice
    required: bool = True
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # canonical spellings; matched case-insensitively
    default: object = None
    description: str = ""


@dataclass
class Plan:
    """What an import would do, worked out before anything is written."""

    kind: "ImportKind"
    filename: str
    checksum: str
    rows: int
    create: pd.DataFrame
    update: pd.DataFrame
    unchanged: int
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict:
        return {"rows": self.rows, "created": len(self.create), "updated": len(self.update), "unchanged": self.unchanged}


class ImportKind:
    """A kind of import file. Subclasses declare their columns, key, compared columns and the
    ``model`` the rows are stored in; reading what is stored and writing the new and changed rows
    is shared, for a kind keyed on one column of ``model``. A kind that stores its rows otherwise
    (attendance: a key across three tables, sessions made on the way) brings its own
    ``existing`` and ``write``."""

    name: str = ""
    label: str = ""
    roles: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    key: tuple[str, ...] = ()
    # Columns compared with the database to tell an update from an unchanged row.
    compared: tuple[str, ...] = ()
    model = None  # the db.Model a row of the file becomes
    # How stored columns are typed when read back, so they compare like with like with the file's.
    stored_types: dict[str, str] = {}

    @property
    def fields(self) -> list[str]:
        """The columns of ``model`` a row of the file sets: the key, then the compared columns."""
        return [*self.key, *self.compared]

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        """Check references to other records and add the columns the write needs."""
        return frame

    def existing(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows already stored for the keys in ``frame``: ``id``, the key and the compared columns."""
        (key,) = self.key
        key_column = getattr(self.model, key)
        columns = [self.model.id, key_column, *(getattr(self.model, name) for name in self.compared)]
        # The file's keys are distinct and never blank by now (validate refused the file otherwise).
        rows = stored_rows(columns, key_column, frame[key].tolist())
        return pd.DataFrame(rows, columns=["id", *self.fields]).astype(self.stored_types)

    def write(self, create: pd.DataFrame, update: pd.DataFrame, batch: ImportBatch) -> None:
        """Insert ``create`` and update ``update`` (which carries ``id``); flush, never commit.

        Besides ``fields``, a new row records the batch that brought it (when ``model`` has
        ``import_batch_id``) and when it was made (``created_at``); a changed row the batch that
        changed it and when (``updated_at``)."""
        table = self.model.__table__
        now = utcnow()
        on_create = {name: value for name, value in (("import_batch_id", batch.id), ("created_at", now),
                                                      ("updated_at", now)) if name in table.c}
        on_update = {name: value for name, value in (("import_batch_id", batch.id), ("updated_at", now))
                     if name in table.c}
        bulk_insert(table, create.assign(**on_create), [*self.fields, *on_create])
        if len(update):
            db.session.execute(sql_update(self.model), [dict(row, **on_update)
                                                        for row in records(update, ["id", *self.fields])])

    def written(self, create: pd.DataFrame, update: pd.DataFrame) -> None:
        """What else follows from the rows just written, in the same transaction (the DSL register
        announces the emails it added). Nothing, unless a kind says otherwise."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# -- registry ---------------------------------------------------------------------------------


def register_import_kind(app, kind: ImportKind) -> None:
    app.extensions.setdefault("right_support_imports", {})[kind.name] = kind


def import_kinds() -> dict[str, ImportKind]:
    return current_app.extensions.get("right_support_imports", {})


def kinds_for_role(role: str) -> list[ImportKind]:
    return [kind for kind in import_kinds().values() if role in kind.roles]


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLimits:
    """How much of a file the service will read, checked before any parsing (settings IMPORT_MAX_ROWS,
    IMPORT_MAX_COLUMNS and IMPORT_MAX_UNPACKED_MB; see the README)."""

    rows: int = 2_000_000
    columns: int = 200
    unpacked_bytes: int = 500 * 1024 * 1024  # an XLSX workbook's parts, once unzipped

    @classmethod
    def from_config(cls, config) -> "ImportLimits":
        return cls(rows=config.get("IMPORT_MAX_ROWS", cls.rows), columns=config.get("IMPORT_MAX_COLUMNS", cls.columns),
                   unpacked_bytes=config.get("IMPORT_MAX_UNPACKED_MB", cls.unpacked_bytes // 2**20) * 2**20)


def current_limits() -> ImportLimits:
    return ImportLimits.from_config(current_app.config) if has_app_context() else ImportLimits()


def read_table(data: bytes, filename: str, limits: ImportLimits | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file into a frame of trimmed strings, headers normalised. A file beyond
    ``limits`` (the app's settings by default) is refused before it is parsed."""
    limits = limits or current_limits()
    lower = filename.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if lower.endswith(".xlsx"):
        if not is_zip:
            raise RejectedFile([RowError(None, None, f"{filename} is not an Excel workbook (.xlsx).")])
        frame = _read_xlsx(data, filename, limits)
        _refuse_nul_cells(frame)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        if is_zip or b"\x00" in data[:4096]:
            raise RejectedFile([RowError(None, None, f"{filename} is not a CSV text file.")])
        _check_csv(data, filename, limits)
        frame = _read_csv(data, filename)
    else:
        raise RejectedFile([RowError(None, None, "Choose a CSV (.csv) or Excel (.xlsx) file.")])
    return _normalise_headers(frame)


def _too_wide(filename: str, columns: int, limits: ImportLimits) -> RejectedFile:
    return RejectedFile([RowError(1, None, f"{filename} has {columns:,} columns; the most this service reads is "
                                           f"{limits.columns:,}. Remove the columns it does not need.")])


def _check_csv(data: bytes, filename: str, limits: ImportLimits) -> None:
    """Refuse a NUL byte anywhere, and a header row wider than the column limit, before parsing."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise RejectedFile([RowError(line, None, "contains a NUL character (byte 0), which a text file may not hold.")])
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    # Every comma counts, quoted or not: a generous upper bound, enough to refuse a file far too wide.
    columns = header.count(b",") + 1
    if columns > limits.columns:
        raise _too_wide(filename, columns, limits)


def _refuse_nul_cells(frame: pd.DataFrame) -> None:
    """A NUL character in any cell a reader gave back is refused, naming the first. (A CSV's bytes are
    checked whole before parsing; this is the net for a workbook, whose reader might pass one on.)"""
    for position, column in enumerate(frame.columns):
        if "\x00" in str(column):
            raise RejectedFile([RowError(1, None, f"the heading of column {position + 1} contains a NUL character.")])
        values = frame.iloc[:, position]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        found = values.astype(str).str.contains("\x00", regex=False)
        if found.any():
            row = int(np.flatnonzero(found.to_numpy())[0]) + FIRST_DATA_ROW
            raise RejectedFile([RowError(row, str(column).strip()[:40], "contains a NUL character, which is not allowed.")])


def _read_csv(data: bytes, filename: str) -> pd.DataFrame:
    """Parse CSV bytes as UTF-8 (with or without a byte-order mark), else as Windows-1252.

    The multi-threaded Arrow reader goes first; anything it will not read whole (another encoding,
    a ragged row) is read again by pandas' own parser, whose errors name the line.
    """
    if not data.strip():
        raise RejectedFile([RowError(None, None, f"{filename} is empty.")])
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="pyarrow")
        return frame.fillna("")
    except Exception:  # noqa: BLE001 - any refusal by the fast reader sends the file to the careful one
        pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding=encoding,
                               skip_blank_lines=True, quoting=csv.QUOTE_MINIMAL)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, ValueError) as exc:
            raise RejectedFile([RowError(_parser_row(str(exc)), None, f"the file is not valid CSV ({exc}).")])
    raise RejectedFile([RowError(None, None, f"{filename} is not text in UTF-8 or Windows-1252 encoding.")])


def _parser_row(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _check_workbook_size(data: bytes, filename: str, limits: ImportLimits) -> None:
    """Refuse a workbook whose parts would unzip to more than the limit (a deflate bomb), from the
    sizes its zip directory declares; zipfile never inflates a part beyond its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise RejectedFile([RowError(None, None, f"{filename} could not be read as an Excel workbook ({exc}).")])
    if unpacked > limits.unpacked_bytes:
        raise RejectedFile([RowError(None, None, f"{filename} unpacks to {unpacked / 2**20:,.0f} MB; the most this "
                                                 f"service reads is {limits.unpacked_bytes / 2**20:,.0f} MB. "
                                                 "Save it as CSV, or split it into smaller files.")])


def _check_declared_size(sheet, filename: str, limits: ImportLimits) -> None:
    """Refuse a sheet whose declared dimension (A1:XFD1048576, say) is beyond the limits."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if columns > limits.columns:
        raise _too_wide(filename, columns, limits)
    if rows > limits.rows + 1:
        raise _too_long(filename, rows - 1, limits)


def _too_long(filename: str, rows: int, limits: ImportLimits) -> RejectedFile:
    return RejectedFile([RowError(None, None, f"{filename} has {rows:,} rows or more; the most this service reads "
                                              f"is {limits.rows:,}. Split it into smaller files.")])


def _sheet_rows(sheet, filename: str, limits: ImportLimits) -> list[list[str]]:
    """The sheet's rows as text, each as long as it really is, checked against the limits as they come."""
    sheet.reset_dimensions()  # read what the sheet holds, not what it declares
    rows = []
    for row in sheet.iter_rows(values_only=True):
        if len(row) > limits.columns:
            raise _too_wide(filename, len(row), limits)
        rows.append([_cell_text(value) for value in row])
        if len(rows) > limits.rows + 1:
            raise _too_long(filename, len(rows) - 1, limits)
    return rows


def _read_xlsx(data: bytes, filename: str, limits: ImportLimits) -> pd.DataFrame:
    from openpyxl import load_workbook

    _check_workbook_size(data, filename, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RejectedFile([RowError(None, None, f"{filename} could not be read as an Excel workbook ({exc}).")])
    try:
        sheet = workbook.worksheets[0]
        _check_declared_size(sheet, filename, limits)
        rows = _sheet_rows(sheet, filename, limits)
    except RejectedFile:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed sheet (bad XML, a NUL reference, an entity) is refused
        raise RejectedFile([RowError(None, None, f"{filename} could not be read as an Excel workbook: "
                                                 f"{str(exc)[:200]}.")]) from None
    finally:
        workbook.close()
    while rows and all(value == "" for value in rows[-1]):
        rows.pop()
    if not rows:
        raise RejectedFile([RowError(None, None, f"{filename} is empty.")])
    header, body = rows[0], rows[1:]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [(row + [""] * width)[:width] for row in body]
    return pd.DataFrame(body, columns=header, dtype=str)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise_headers(frame: pd.DataFrame) -> pd.DataFrame:
    headers = [str(h).strip().lower() for h in frame.columns]
    seen, duplicated = set(), []
    for header in headers:
        if header in seen and header:
            duplicated.append(header)
        seen.add(header)
    if duplicated:
        raise RejectedFile([RowError(1, h, "this column heading appears more than once.") for h in duplicated])
    frame.columns = headers
    return frame


# -- validating -------------------------------------------------------------------------------


PARSE_THREADS = min(4, os.cpu_count() or 1)
PARALLEL_FROM_ROWS = 50_000


def validate(kind: ImportKind, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
    """Turn the text of every declared column into typed values, collecting every error."""
    missing = [c.name for c in kind.columns if c.required and c.name not in raw.columns]
    if missing:
        found = _found_columns(raw.columns)
        return raw, [RowError(1, name, f"this required column is missing (columns found: {found}).") for name in missing]

    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(len(raw)) + FIRST_DATA_ROW, index=raw.index)
    typed = pd.DataFrame(index=raw.index)
    typed["_row"] = rows
    errors: list[RowError] = []

    def parse(column: Column):
        if column.name in raw.columns:
            text = raw[column.name].fillna("").astype(str).str.strip()
        else:
            text = pd.Series("", index=raw.index)
        return text, *parse_column(column, text)

    # Columns are parsed side by side: the work is in Arrow's kernels, which let go of the GIL.
    if len(raw) >= PARALLEL_FROM_ROWS:
        with ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
            parsed = list(pool.map(parse, kind.columns))
    else:
        parsed = [parse(column) for column in kind.columns]
    for column, (text, values, problems) in zip(kind.columns, parsed):
        typed[column.name] = values
        for mask, message in problems:
            errors.extend(_errors_at(rows[mask], column.name, text[mask], message))

    if kind.key and not errors and not _all_distinct(typed, list(kind.key)):
        keys = list(kind.key)
        doubled = typed.duplicated(subset=keys, keep="first")
        if doubled.any():
            first_rows = typed.drop_duplicates(subset=keys, keep="first").set_index(keys)["_row"]
            for _, row in typed[doubled].iterrows():
                first = first_rows.loc[tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]]
                errors.append(RowError(int(row["_row"]), keys[-1] if len(keys) == 1 else " + ".join(keys),
                                       f"the same key appears in row {int(first)}; each record may appear once."))
    return typed, sorted(errors, key=lambda e: (e.row or 0))


def _found_columns(columns, shown: int = 12) -> str:
    """The file's headings for a message: the first few, each cut short, and how many more."""
    names = [name if len(name) <= 40 else name[:37] + "..." for name in (str(c) for c in columns) if name]
    if not names:
        return "none"
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


def _all_distinct(typed: pd.DataFrame, keys: list[str]) -> bool:
    """True when no key repeats: one hash pass in Arrow for a single key column, so the usual
    file (no repeats) skips finding which rows repeat."""
    if len(keys) != 1 or len(typed) == 0:
        return False
    try:
        column = pa.array(typed[keys[0]], from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return len(pc.unique(column)) == len(column)


def _errors_at(rows: pd.Series, column: str, texts: pd.Series, message: str) -> list[RowError]:
    out = []
    for row, text in zip(rows.tolist(), texts.tolist()):
        shown = text if len(text) <= 40 else text[:37] + "..."
        out.append(RowError(int(row), column, message.format(value=shown)))
    return out


Problems = list[tuple[pd.Series, str]]


def parse_column(column: Column, text: pd.Series) -> tuple[pd.Series, Problems]:
    """Parse one column. Returns the values and a list of (bad-row mask, message) pairs."""
    blank = text == ""
    problems: Problems = []
    if column.required:
        problems.append((blank, "this value is required and is blank."))
    parser = _PARSERS.get(column.kind)
    if parser is None:
        raise ValueError(f"unknown column kind {column.kind!r}")
    values, more = parser(column, text, ~blank)
    return values, problems + more


def _range_problems(column: Column, numbers: pd.Series) -> Problems:
    problems = []
    maximum = column.maximum
    if maximum is None and column.kind == "integer":
        maximum = LARGEST_INTEGER
    if column.minimum is not None:
        problems.append((numbers.notna() & (numbers < column.minimum), f"'{{value}}' is less than {column.minimum:g}."))
    if maximum is not None:
        shown = f"{maximum:,}" if isinstance(maximum, int) else f"{maximum:g}"
        problems.append((numbers.notna() & (numbers > maximum), f"'{{value}}' is more than {shown}."))
    return problems


def _parse_text(column: Column, text: pd.Series, filled: pd.Series) -> tuple[pd.Series, Problems]:
    values = text.where(filled, None)
    problems = []
    if column.kind == "email":
        values = values.str.lower()
        problems.append((filled & ~text.str.match(EMAIL_PATTERN), "'{value}' is not an email address."))
    if column.max_length:
        problems.append((filled & (text.str.len() > column.max_length), f"is longer than {column.max_length} characters."))
    problems.append((filled & _has_line_break(text), "contains a line break; write it on one line."))
    return values, problems


def _has_line_break(text: pd.Series) -> pd.Series:
    """Which values hold a CR or LF: one pass in Arrow, so a million-row column costs milliseconds."""
    values = pa.array(text, type=pa.string(), from_pandas=True)
    found = pc.fill_null(pc.match_substring_regex(values, "[\r\n]"), False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=text.index)


def _parse_number(column: Column, text: pd.Series, filled: pd.Series) -> tuple[pd.Series, Problems]:
    if column.kind == "integer":
        fast = _plain_integers(text, filled)
        if fast is not None:
            return fast, _range_problems(column, fast)
    cleaned = text.str.replace(",", "", regex=False).str.rstrip("%")
    numbers = pd.to_numeric(cleaned.where(filled, None), errors="coerce")
    not_number = filled & numbers.isna()
    if column.kind == "decimal":
        return numbers.astype("Float64"), [(not_number, "'{value}' is not a number."), *_range_problems(column, numbers)]
    whole = numbers.notna() & (numbers % 1 != 0)
    problems = [(not_number | whole, "'{value}' is not a whole number."), *_range_problems(column, numbers)]
    # A number too large for Int64 is already refused above (the range); it is left out of the values.
    castable = numbers.notna() & (numbers % 1 == 0) & (numbers.abs() <= 2**53)
    return numbers.where(castable).astype("Int64"), problems


def _parse_when(column: Column, text: pd.Series, filled: pd.Series) -> tuple[pd.Series, Problems]:
    with_time = column.kind == "datetime"
    parsed = parse_dates(text.where(filled, None), with_time=with_time)
    message = ("'{value}' is not a real date in the form 2020-09-17 or 17/09/2020"
               + (" (with an optional time such as 10:30)." if with_time else "."))
    values = parsed if with_time else parsed.dt.date.where(parsed.notna(), None)
    return values, [(filled & parsed.isna(), message)]


def _parse_choice(column: Column, text: pd.Series, filled: pd.Series) -> tuple[pd.Series, Problems]:
    canonical = {choice.lower(): choice for choice in column.choices}
    values = text.str.lower().map(canonical)
    if column.default is not None:
        values = values.where(filled, column.default)
    allowed = ", ".join(column.choices)
    return values, [(filled & values.isna(), f"'{{value}}' is not one of: {allowed}.")]


_PARSERS = {"text": _parse_text, "email": _parse_text, "integer": _parse_number, "decimal": _parse_number,
            "date": _parse_when, "datetime": _parse_when, "choice": _parse_choice}


def _plain_integers(text: pd.Series, filled: pd.Series) -> pd.Series | None:
    """The common case, every filled value plain digits, cast in one vectorised step; None
    otherwise, and the general parser (thousands separators, messages) takes over."""
    values = pa.array(text.where(filled, None), type=pa.string(), from_pandas=True)
    if values.null_count == len(values):
        return None
    if not pc.all(pc.match_substring_regex(values, r"^[0-9]{1,18}$")).as_py():
        return None
    numbers = pc.cast(values, pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return pd.Series(numbers.array, index=text.index)


DATE_SHAPE = f"{ISO_DAY_SHAPE}|{UK_DAY_SHAPE}"
TIME_SHAPE = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)"


def parse_dates(text: pd.Series, with_time: bool) -> pd.Series:
    """Parse ISO 8601 (2020-09-17, 2020-09-17T10:30, 2020-09-17 10:30:00) or UK day-first
    (17/09/2020, 17/09/2020 10:30) dates; never guess day or month.

    Each value's shape is checked first; then each shape is parsed with its exact format, so a
    million values cost a few vectorised passes (in Arrow) and an impossible date (31/02/2020)
    becomes NaT.
    """
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    values = pa.array(text, type=pa.string(), from_pandas=True)
    if values.null_count == len(values):
        return pd.Series(result, index=text.index)
    shape = rf"^(?:{DATE_SHAPE}){TIME_SHAPE + '?' if with_time else ''}$"
    usable = pc.fill_null(pc.match_substring_regex(values, shape), False)
    day_first = pc.fill_null(pc.match_substring(values, "/"), False)
    colons = pc.fill_null(pc.count_substring(values, ":"), -1)
    separator_t = pc.fill_null(pc.match_substring(values, "T"), False)
    for uk, count, t, fmt in (
        (False, 0, False, "%Y-%m-%d"), (False, 1, True, "%Y-%m-%dT%H:%M"), (False, 2, True, "%Y-%m-%dT%H:%M:%S"),
        (False, 1, False, "%Y-%m-%d %H:%M"), (False, 2, False, "%Y-%m-%d %H:%M:%S"),
        (True, 0, False, "%d/%m/%Y"), (True, 1, False, "%d/%m/%Y %H:%M"), (True, 2, False, "%d/%m/%Y %H:%M:%S"),
    ):
        chosen = pc.and_(pc.and_(usable, pc.equal(day_first, uk)),
                         pc.and_(pc.equal(colons, count), pc.equal(separator_t, t)))
        positions = np.flatnonzero(chosen.to_numpy(zero_copy_only=False))
        if len(positions):
            result[positions] = _strict_strptime(values.take(positions), fmt, uk)
    return pd.Series(result, index=text.index)


def _strict_strptime(text: pa.Array, fmt: str, day_first: bool) -> np.ndarray:
    """Parse with one exact format in Arrow, NaT where it fails. Arrow's parser rolls an impossible
    day over (31/02 would become 2 March), so a value whose day of the month changed is refused."""
    parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
    day = pc.extract_regex(text, r"^(?P<day>\d{1,2})/" if day_first else r"^\d{4}-\d{2}-(?P<day>\d{2})")
    written_day = pc.cast(pc.struct_field(day, "day"), pa.int64())
    parsed = pc.if_else(pc.equal(pc.day(parsed), written_day), parsed, pa.scalar(None, parsed.type))
    return parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]")


# -- planning and writing ---------------------------------------------------------------------


def plan_import(kind: ImportKind, data: bytes, filename: str) -> Plan:
    """Work out what importing ``data`` would do, without writing anything."""
    checksum = hashlib.sha256(data).hexdigest()
    empty = pd.DataFrame()
    try:
        raw = read_table(data, filename)
    except RejectedFile as rejected:
        return Plan(kind, filename, checksum, 0, empty, empty, 0, rejected.errors)
    typed, errors = validate(kind, raw)
    if not errors:
        typed = kind.resolve(typed, errors)
    if errors:
        return Plan(kind, filename, checksum, len(raw), empty, empty, 0, errors)
    create, update, unchanged = diff_with_database(kind, typed)
    return Plan(kind, filename, checksum, len(typed), create, update, unchanged, [])


def diff_with_database(kind: ImportKind, typed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Split rows into new, changed and unchanged against what is stored."""
    stored = kind.existing(typed)
    keys = list(kind.key)
    if stored.empty:
        return typed, typed.iloc[0:0].assign(id=pd.Series(dtype="int64")), 0
    stored = stored.rename(columns={c: f"{c}__stored" for c in kind.compared})
    merged = typed.merge(stored, on=keys, how="left", validate="one_to_one")
    is_new = merged["id"].isna()
    changed = pd.Series(False, index=merged.index)
    for name in kind.compared:
        changed |= ~_same(merged[name], merged[f"{name}__stored"])
    existing_rows = merged[~is_new]
    changed_rows = existing_rows[changed[~is_new]]
    stored_columns = [f"{c}__stored" for c in kind.compared]
    create = merged[is_new].drop(columns=stored_columns + ["id"])
    update = changed_rows.drop(columns=stored_columns).astype({"id": "int64"})
    return create, update, int(len(existing_rows) - len(changed_rows))


def _same(new: pd.Series, old: pd.Series) -> pd.Series:
    both_missing = new.isna() & old.isna()
    new_values = new.astype(object).where(new.notna(), None)
    old_values = old.astype(object).where(old.notna(), None)
    if pd.api.types.is_float_dtype(new.dtype) or pd.api.types.is_float_dtype(old.dtype):
        equal = np.isclose(pd.to_numeric(new, errors="coerce").astype(float),
                           pd.to_numeric(old, errors="coerce").astype(float), rtol=0, atol=1e-9)
        return pd.Series(equal, index=new.index) | both_missing
    return pd.Series([a == b for a, b in zip(new_values, old_values)], index=new.index) | both_missing


def apply_plan(plan: Plan, user_id: int | None, source: str) -> ImportBatch | None:
    """Write a clean plan and record its batch. Flushes; the caller commits once.

    A plan that would change nothing writes nothing, not even a batch, and returns None:
    the rows it holds are already traced to the batches that first brought them in.
    """
    if plan.errors:
        raise RejectedFile(plan.errors)
    if not len(plan.create) and not len(plan.update):
        return None
    batch = ImportBatch(
        kind=plan.kind.name,
        filename=plan.filename[:255],
        checksum=plan.checksum,
        user_id=user_id,
        source=source,
        rows=plan.rows,
        created=len(plan.create),
        updated=len(plan.update),
        unchanged=plan.unchanged,
    )
    db.session.add(batch)
    db.session.flush()
    plan.kind.write(plan.create, plan.update, batch)
    plan.kind.written(plan.create, plan.update)
    audit.record("core.import.applied", object_type="import_batch", object_id=batch.id, user_id=user_id,
                 new={"kind": batch.kind, "filename": batch.filename, "checksum": batch.checksum, "source": source,
                      **plan.counts})
    return batch


SQLITE_KEYS_PER_QUERY = 5000
WHOLE_TABLE_ABOVE = 20_000


def stored_rows(columns: list, key_column, values) -> list:
    """Stored rows whose ``key_column`` is one of ``values``: one array query on PostgreSQL,
    chunks of IN lists on SQLite (which limits how many parameters one statement may bind)."""
    if not len(values):
        return []
    if len(values) > WHOLE_TABLE_ABOVE:
        # Asking for this many keys costs more than reading the table once and keeping the matches.
        if db.session.execute(select(key_column).limit(1)).first() is None:
            return []  # an empty table: the usual first import of a large file
        wanted = set(values)
        key_index = next(i for i, c in enumerate(columns) if c is key_column)
        return [row for row in db.session.execute(select(*columns)) if row[key_index] in wanted]
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        keys = bindparam("keys", values, type_=postgresql.ARRAY(key_column.type))
        return db.session.execute(select(*columns).where(key_column == any_(keys))).all()
    rows = []
    for start in range(0, len(values), SQLITE_KEYS_PER_QUERY):
        chunk = values[start:start + SQLITE_KEYS_PER_QUERY]
        rows += db.session.execute(select(*columns).where(key_column.in_(chunk))).all()
    return rows


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows of ``frame`` as dicts of plain Python values, ready for a bulk insert or update."""
    subset = frame[columns].astype(object)
    subset = subset.where(subset.notna(), None)
    return subset.to_dict("records")
