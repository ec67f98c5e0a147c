"""The contacts (MASH) and early-help import files, on the shared import machinery.

Times in the files are Europe/London local time and are stored in UTC, by core.timefmt's rule for
the hours the clocks skip and repeat. Each record is linked to the DSL whose register email matches
its referrer email (trimmed, case-insensitive), or else to the DSL an alias maps that email to.
"""

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cohorts.models import CLASSIFICATIONS, DslAlias, EarlyHelpConsultation, MashRecord
from core.auth import ADMIN, EVALUATOR
from core.extensions import db
from core.imports import Column, ImportKind, RowError
from core.timefmt import london_series_to_utc
from people.models import Dsl

ID_LENGTH = 100
TEXT_LENGTH = 100
OUTCOME_LENGTH = 200
EMAIL_LENGTH = 254


def register_emails() -> pd.Series:
    """DSL ids by email, for linking: every register email (trimmed, lower case; the first DSL
    where two share one), then every alias whose email the register does not hold."""
    # Straight from the driver's cursor: tens of thousands of plain tuples, no result rows to build.
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        rows = []
        for statement in (f"SELECT email, id FROM {Dsl.__tablename__}", f"SELECT email, dsl_id FROM {DslAlias.__tablename__}"):
            cursor.execute(statement)
            rows += cursor.fetchall()
    finally:
        cursor.close()
    emails, ids = zip(*rows) if rows else ((), ())
    ids = pd.Series(ids, index=pd.Index(emails, dtype="str").str.strip().str.lower(), dtype="int64")
    # The register's rows come first, so it wins over an alias for the same email.
    return ids[~ids.index.duplicated()]


def link_emails(emails: pd.Series) -> pd.Series:
    """The DSL id for each email (or missing), matched trimmed and case-insensitively: one hash
    lookup over the whole column."""
    register = register_emails()
    wanted = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(emails, type=pa.string(), from_pandas=True)))
    positions = pc.index_in(wanted, value_set=pa.array(register.index, type=pa.string()))
    linked = pc.take(pa.array(register.to_numpy(), type=pa.int64()), positions)
    return pd.Series(linked.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array, index=emails.index)


class ContactsImport(ImportKind):
    name = "contacts"
    label = "MASH contacts and referrals"
    roles = (ADMIN, EVALUATOR)
    key = ("contact_id",)
    columns = (
        Column("contact_id", "text", max_length=ID_LENGTH, description="the record's id in the MASH case system"),
        Column("received_at", "datetime", description="when the MASH received it (Europe/London time)"),
        Column("source", "text", max_length=TEXT_LENGTH, description="referring agency: School, Police, Health, ..."),
        Column("method", "text", max_length=TEXT_LENGTH, description="Telephone, Email, Online form, ..."),
        Column("classification", "choice", choices=CLASSIFICATIONS,
               description="contact (non-urgent) or referral (urgent, needs action)"),
        Column("referrer_email", "text", required=False, max_length=EMAIL_LENGTH,
               description="email of the person who called; links the record to a DSL"),
        Column("school_urn", "integer", required=False, minimum=1, description="school the call came from"),
        Column("outcome", "text", required=False, max_length=OUTCOME_LENGTH, description="e.g. NFA, Early Help"),
    )
    compared = ("received_at", "source", "method", "classification", "referrer_email", "school_urn", "outcome", "dsl_id")
    model = MashRecord
    stored_types = {"school_urn": "Int64", "dsl_id": "Int64", "received_at": "datetime64[us]"}

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        email = frame["referrer_email"].str.strip().str.lower()
        return frame.assign(received_at=london_series_to_utc(frame["received_at"]), referrer_email=email,
                            dsl_id=link_emails(email.fillna("")))


class EarlyHelpImport(ImportKind):
    name = "early-help"
    label = "Early Help consultations"
    roles = (ADMIN, EVALUATOR)
    key = ("consultation_id",)
    columns = (
        Column("consultation_id", "text", max_length=ID_LENGTH, description="id in the Early Help system"),
        Column("date", "date", description="date of the consultation"),
        Column("school_urn", "integer", required=False, minimum=1, description="school involved"),
        Column("referrer_email", "text", required=False, max_length=EMAIL_LENGTH, description="person who asked"),
    )
    compared = ("date", "school_urn", "referrer_email", "dsl_id")
    model = EarlyHelpConsultation
    stored_types = {"school_urn": "Int64", "dsl_id": "Int64"}

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        email = frame["referrer_email"].str.strip().str.lower()
        return frame.assign(referrer_email=email, dsl_id=link_emails(email.fillna("")))
