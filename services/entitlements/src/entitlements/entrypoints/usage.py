"""Entitlements's internal API of usage meters and limit admissions (the gateway calls it).

    GET  /clinics/<clinic_id>/usage                       every meter: used, allowed (null: uncapped)
    POST /clinics/<clinic_id>/limits/<limit>/admissions   {"count": 1} -> 200 {"limit", "used",
         "allowed", "plan"}, or 409 `limit-reached` naming the limit, allowed, used and the base plan

An admission is asked before something is created elsewhere; see entitlements.service_layer.usage
for what it promises under concurrency.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint
from pydantic import BaseModel

from clinic_runtime.db import utcnow
from clinic_runtime.problems import Problem
from clinic_runtime.web import db, json_body
from entitlements.domain.usage import BasePlan, LimitReached, Usage
from entitlements.service_layer import usage as use_cases
from entitlements.service_layer.usage_unit_of_work import SqlUsageUnitOfWork

usage = Blueprint("usage", __name__)


class AdmissionBody(BaseModel):
    count: int = 1


@usage.get("/clinics/<uuid:clinic_id>/usage")
def read_usage(clinic_id: uuid.UUID):
    held = use_cases.usage_of(SqlUsageUnitOfWork(db()), clinic_id, utcnow())
    return {"clinic_id": str(clinic_id), "at": held.at.isoformat(), "period": str(held.period),
            "plan": plan_representation(held.plan),
            "meters": [usage_representation(u) for u in held.meters]}


@usage.post("/clinics/<uuid:clinic_id>/limits/<limit>/admissions")
def admit(clinic_id: uuid.UUID, limit: str):
    body = json_body(AdmissionBody)
    try:
        admission = use_cases.admit(SqlUsageUnitOfWork(db()), clinic_id, limit, body.count, utcnow())
    except LimitReached as reached:
        raise limit_reached(reached) from None
    return {**usage_representation(admission.usage), "plan": plan_representation(admission.plan)}


def limit_reached(reached: LimitReached) -> Problem:
    """The problem of a refused addition: which limit, how much of it is used, and the plan."""
    plan = reached.plan
    on = f" on the {plan.name} plan" if plan else ""
    return Problem(409, "limit-reached", "The clinic's plan allows no more of this.",
                   f"The clinic uses {reached.usage.used} of the {reached.usage.allowed} {reached.usage.limit} "
                   f"allowed{on}; adding {reached.count} more would exceed it. Upgrade the plan or add capacity.",
                   extensions={**usage_representation(reached.usage), "plan": plan_representation(plan)})


def usage_representation(used: Usage) -> dict[str, Any]:
    return {"limit": used.limit, "used": used.used, "allowed": used.allowed}


def plan_representation(plan: BasePlan | None) -> dict[str, str] | None:
    return None if plan is None else {"key": plan.key, "name": plan.name}
