"""The ``infoline`` import file, for councils whose phone system exports the Infoline's calls.

Times in the file are Europe/London local time and are stored in UTC. A call links to the DSL whose
register email (or an evaluator's alias) matches its caller email, as MASH records do.
"""

import pandas as pd

from cohorts.services import dsl_ids_for_emails
from core.auth import ADMIN, EVALUATOR
from core.imports import Column, ImportKind, RowError
from core.timefmt import london_series_to_utc
from infoline.models import ADVICE, CALL_ID_LENGTH, EMAIL_LENGTH, TOPIC_LENGTH, InfolineCall


class InfolineImport(ImportKind):
    name = "infoline"
    label = "DSL Infoline calls"
    roles = (ADMIN, EVALUATOR)
    key = ("call_id",)
    columns = (
        Column("call_id", "text", max_length=CALL_ID_LENGTH, description="the call's id in the helpline's system"),
        Column("received_at", "datetime", description="when the call came in (Europe/London time)"),
        Column("advice", "choice", choices=ADVICE,
               description="handled (answered on the call), early-help, mash (told to contact the MASH) or other"),
        Column("caller_email", "email", required=False, max_length=EMAIL_LENGTH,
               description="email of the caller; links the call to a DSL"),
        Column("school_urn", "integer", required=False, minimum=1, description="school the call came from"),
        Column("topic", "text", required=False, max_length=TOPIC_LENGTH, description="short category"),
        Column("duration_minutes", "integer", required=False, minimum=0, description="whole minutes"),
    )
    compared = ("received_at", "advice", "caller_email", "school_urn", "topic", "duration_minutes", "dsl_id")
    model = InfolineCall
    stored_types = {"school_urn": "Int64", "duration_minutes": "Int64", "dsl_id": "Int64",
                    "received_at": "datetime64[us]"}

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        email = frame["caller_email"].str.strip().str.lower()
        return frame.assign(received_at=london_series_to_utc(frame["received_at"]), caller_email=email,
                            dsl_id=dsl_ids_for_emails(email.fillna("")))
