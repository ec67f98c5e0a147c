"""The schools and dsls import files, on the shared import machinery."""

import pandas as pd

from core.auth import ADMIN, EVALUATOR
from core.events import register_changed
from core.imports import Column, ImportKind, RowError, stored_rows
from people.models import DSL_ROLES, PHASES, Dsl, School

NAME_LENGTH = 200
EMAIL_LENGTH = 254


class SchoolsImport(ImportKind):
    name = "schools"
    label = "Schools"
    roles = (ADMIN, EVALUATOR)
    key = ("urn",)
    columns = (
        Column("urn", "integer", minimum=1, description="DfE unique reference number"),
        Column("name", "text", max_length=NAME_LENGTH),
        Column("pupils", "integer", minimum=0, description="pupils on roll"),
        Column("fsm_percent", "decimal", minimum=0, maximum=100, description="% eligible for free school meals"),
        Column("phase", "choice", required=False, choices=PHASES),
        Column("district", "text", required=False, max_length=NAME_LENGTH),
    )
    compared = ("name", "pupils", "fsm_percent", "phase", "district")
    model = School
    stored_types = {"urn": "Int64", "pupils": "Int64", "fsm_percent": "Float64"}


class DslsImport(ImportKind):
    name = "dsls"
    label = "DSL register"
    roles = (ADMIN, EVALUATOR)
    key = ("email",)
    columns = (
        Column("email", "email", max_length=EMAIL_LENGTH, description="work email"),
        Column("name", "text", max_length=NAME_LENGTH),
        Column("school_urn", "integer", minimum=1, description="URN of a school already imported"),
        Column("role", "choice", required=False, choices=DSL_ROLES, default="DSL"),
    )
    compared = ("name", "school_id", "role")
    model = Dsl
    stored_types = {"school_id": "Int64"}

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        urns = [int(u) for u in frame["school_urn"].dropna().unique()]
        known = dict(stored_rows([School.urn, School.id], School.urn, urns))
        school_ids = frame["school_urn"].map(lambda urn: known.get(int(urn)) if pd.notna(urn) else None)
        for row, urn in zip(frame.loc[school_ids.isna(), "_row"], frame.loc[school_ids.isna(), "school_urn"]):
            errors.append(RowError(int(row), "school_urn", f"no school with URN {urn} has been imported."))
        return frame.assign(school_id=school_ids.astype("Int64"))

    def written(self, create: pd.DataFrame, update: pd.DataFrame) -> None:
        # Rows are matched on email, so an update never changes one: only new DSLs change what an
        # email links to.
        register_changed(create["email"].tolist())
