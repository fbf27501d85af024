"""The API keeps its published contract: schemathesis fuzzes every operation of the OpenAPI
document against the real app, signed in as an admin of a seeded campaign, with every check on.

What the checks hold the app to:
- not_a_server_error: no answer is a 5xx, whatever comes in;
- status_code_conformance, content_type_conformance, response_schema_conformance: every answer
  (errors included: application/problem+json) is declared for its operation, with its schema;
- negative_data_rejection: a request outside the schema is refused with a 4xx;
- positive_data_acceptance: a request inside the schema is not refused as malformed.

The run is the engine that `schemathesis run` uses (examples, coverage and fuzzing phases;
the stateful phase too when the budget allows it), deterministic (a fixed seed, derandomized
generation) and bounded: about two minutes for the whole document in `make test`.
`DOORSTEP_FUZZ_SECONDS` sets another budget and turns on the release fuzz (`make fuzz`): the
stateful phase and 500 examples per operation (`DOORSTEP_FUZZ_STATEFUL`,
`DOORSTEP_FUZZ_EXAMPLES` override each).
"""

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from tests.builders import CampaignFixture, CampaignWorld
from tests.contract.conftest import LoopBridge

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
]
SEED = 20261201
# Seconds for the whole document, shared by the groups below (about 2 minutes in `make test`).
BUDGET_S = float(os.environ.get("DOORSTEP_FUZZ_SECONDS", "95"))
RELEASE = "DOORSTEP_FUZZ_SECONDS" in os.environ
# The stateful phase (sequences of calls following the document's inferred links) and many
# more examples per operation: for the release fuzz (`make fuzz`), or on demand.
STATEFUL = os.environ.get("DOORSTEP_FUZZ_STATEFUL", "1" if RELEASE else "0") == "1"
MAX_EXAMPLES = int(os.environ.get("DOORSTEP_FUZZ_EXAMPLES", "500" if RELEASE else "25"))
# The operations by tag: each group fuzzes its own fresh campaign (a test of its own), so that
# what one group deletes or revokes cannot starve another.
GROUPS = {
    "auth": 0.06,
    "users": 0.10,
    "precincts": 0.08,
    "imports": 0.06,
    "people": 0.16,
    "surveys": 0.06,
    "turfs": 0.12,
    "walk lists": 0.24,
    "sync": 0.08,
    "audit": 0.04,
}


# Checks that cannot hold for one operation, each with its reason; never a check for all.
UNHOLDABLE: dict[tuple[str, str], str] = {
    # An upload is a file, and any bytes are one (a "file" of `null` or `12` is a CSV of one
    # line): the fuzzer's "not a string" file parts are no schema violation. The job judges
    # the content and reports bad lines on GET /imports/{id}.
    ("POST /api/v1/imports/voters", "negative_data_rejection"): "any bytes are a file",
    ("POST /api/v1/imports/canvass_results", "negative_data_rejection"): "any bytes are a file",
}

# Bodies whose items are checked one by one: an item outside the schema is answered
# `rejected` alone, in a 200 with the other items' outcomes, never by refusing the request.
# negative_data_rejection holds for them in that form: the bad item must come back rejected.
ITEMWISE = {
    "POST /api/v1/sync": lambda body: any(r["status"] == "rejected" for r in body["results"]),
    "POST /api/v1/walk_lists/{list_id}/paper_entries": lambda body: any(
        r["status"] == "rejected" for r in body["results"]
    ),
    "POST /api/v1/precincts/import": lambda body: bool(body["rejected"]),
}


def rejected_alone(operation: str | None, status: int, content: bytes) -> bool:
    """A 200 to an itemwise body that rejected an item: the check's intent, held per item."""
    holds = ITEMWISE.get(operation or "")
    return holds is not None and status == 200 and bool(holds(json.loads(content)))


TURFS = frozenset({"POST /api/v1/turfs", "POST /api/v1/turfs/cut"})
# 422s to schema-valid requests that name only what no JSON Schema can say in advance:
# (operations, or None for all; what the error says). positive_data_acceptance is waived for
# these answers alone, never for an operation as a whole.
UNSAYABLE: list[tuple[frozenset[str] | None, Callable[[dict[str, str]], bool]]] = [
    # an id in a body that the campaign does not have: the generator cannot know its ids
    (None, lambda e: e["message"].endswith("not found")),
    # a date after today: the document is written once, the date moves
    (None, lambda e: e["message"].endswith("in the future")),
    # a ring that does not end where it starts, a polygon whose rings enclose no area or cross
    # beyond repair: geometry, not shape
    (
        TURFS,
        lambda e: (
            e["loc"].endswith("geometry")
            and ("polygon" in e["message"] or "ring must end where it starts" in e["message"])
        ),
    ),
    # more turfs than doors (asked for as a count or as doors per turf): it depends on the
    # campaign's data
    (TURFS, lambda e: e["loc"] in ("body.turf_count", "body.doors_per_turf")),
    # unique option codes (case-insensitive) and a tag both added and removed: JSON Schema has
    # no uniqueness by key across objects, and no disjointness of two arrays
    (
        frozenset({"POST /api/v1/surveys"}),
        lambda e: "must be unique" in e["message"] or "both added and removed" in e["message"],
    ),
]


def unsayable(operation: str | None, status: int, content: bytes) -> bool:
    if status != 422:
        return False
    errors = json.loads(content).get("errors") or []
    return bool(errors) and all(
        any(
            (operations is None or operation in operations) and says(error)
            for operations, says in UNSAYABLE
        )
        for error in errors
    )


def waived(operation: str | None, check: str, status: int, content: bytes) -> bool:
    if (operation or "", check) in UNHOLDABLE:
        return True
    if check == "negative_data_rejection":
        return rejected_alone(operation, status, content)
    if check == "positive_data_acceptance":
        return unsayable(operation, status, content)
    return False


@dataclass
class Outcome:
    cases: int = 0
    scenarios: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    ran: Counter[str] = field(default_factory=Counter)
    waived: Counter[str] = field(default_factory=Counter)
    reports: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def config(headers: dict[str, str], seconds: float) -> SchemathesisConfig:
    checks: dict[str, Any] = {"enabled": False}
    checks.update({name: {"enabled": True} for name in CHECKS})
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "max-time": max(1, round(seconds)),
            "headers": headers,
            "workers": 1,  # one connection under the test's transaction
            "checks": checks,
            "generation": {
                "mode": "all",
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # PostgreSQL text cannot hold NUL: the app refuses it everywhere with a 422 that
                # the document declares (tests/test_hostile_input.py tries it on every kind of
                # input), so valid data is generated without it.
                "allow-x00": False,
            },
            "phases": {"stateful": {"enabled": STATEFUL}},
        }
    )


def report(recorder: Any, case_id: str, check: Any) -> str:
    """One failure in a few lines: operation, check, status, why, and the request (cut)."""
    failure = check.failure_info.failure
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction and interaction.response else "-"
    why = " / ".join(line for line in failure.message.splitlines()[:3] if line.strip())
    request = check.failure_info.code_sample.replace("\n", " ")
    body = interaction.response.content if interaction and interaction.response else b""
    return (
        f"{failure.operation} {check.name} -> {status}: {why}\n"
        f"    {request if status == 500 else request[:300]}\n"
        f"    answer: {(body or b'').decode('utf-8', 'replace')[:300]}"
    )


def fuzz(bridge: LoopBridge, tag: str, headers: dict[str, str], seconds: float) -> Outcome:
    """One engine run over the operations of `tag` (in a worker thread: the app's loop must
    stay free to serve the bridge)."""
    outcome = Outcome()
    started = time.perf_counter()
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", bridge, config=config(headers, seconds)
    ).include(tag=tag)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.scenarios += 1
            outcome.cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    outcome.ran[check.name] += 1
                    info = check.failure_info
                    if info is None:
                        continue
                    answer = event.recorder.interactions.get(case_id)
                    response = answer.response if answer is not None else None
                    if response is not None and waived(
                        info.failure.operation, check.name, response.status_code, response.content
                    ):
                        outcome.waived[check.name] += 1
                    else:
                        outcome.failures[check.name] += 1
                        outcome.reports.append(report(event.recorder, case_id, check))
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}")
    outcome.seconds = time.perf_counter() - started
    return outcome


@pytest.mark.parametrize("tag", list(GROUPS))
async def test_operations_keep_the_contract(
    tag: str,
    bridge: LoopBridge,
    client: httpx.AsyncClient,
    camp: CampaignFixture,
    world: CampaignWorld,
) -> None:
    seconds = BUDGET_S * GROUPS[tag]
    outcome = await asyncio.to_thread(fuzz, bridge, tag, camp.admin.headers, seconds)
    print(
        f"\n[{tag}] {outcome.cases} cases in {outcome.scenarios} scenarios, "
        f"{bridge.requests} requests, {outcome.seconds:.1f} s, "
        f"failures: {dict(outcome.failures) or 0} (waived: {dict(outcome.waived) or 0})"
    )
    assert not outcome.errors, "\n\n".join(outcome.errors)
    assert not outcome.failures, "\n".join(outcome.reports[:40])
    assert bridge.requests > 10, "the fuzz reached the app"
