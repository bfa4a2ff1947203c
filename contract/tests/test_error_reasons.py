"""docs/errors.md coverage: every documented reason is provoked over the wire by a test marked
`@reaches("REASON")` (which must really observe it, see conftest.py), or is exempt here with
the reason why no client can provoke it. A reason added to docs/errors.md without either makes
this fail: new reasons need new cases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import ERRORS_DOC, documented_reasons

#: Reasons no client request can provoke, and why.
EXEMPT: dict[str, str] = {
    "DATABASE_UNAVAILABLE": (
        "needs the deployment's database to be unreachable; nothing a client sends causes it"
    ),
    "RENDERER_UNAVAILABLE": (
        "needs the `recouvre docgen` sidecar the deployment was configured with (serve "
        "--docgen-addr) to be unreachable; nothing a client sends causes it, and a deployment "
        "typesetting in-process has no sidecar to lose"
    ),
    "INTERNAL": "a server bug or a corrupt stored row; no valid or invalid request may cause it",
    "TASK_ALREADY_DONE": (
        "needs a task, which only the scheduler creates when a policy step falls due: days after "
        "a claim is handed over, or at once through SchedulerService with an operator key this "
        "suite does not hold; tests/it/automation.rs provokes it over the wire"
    ),
    "MESSAGE_ALREADY_SENT": (
        "needs an outbox message, which only the scheduler writes when a policy step falls due "
        "(see TASK_ALREADY_DONE); tests/it/automation.rs provokes it over the wire"
    ),
    "ALREADY_EXISTS": (
        "the only unique key a client chooses is external_reference (EXTERNAL_REFERENCE_EXISTS); "
        "every other one holds server-generated ids or 256-bit random tokens"
    ),
    "CONCURRENT_UPDATE": (
        "mutations lock their row (SELECT … FOR UPDATE) at READ COMMITTED, so concurrent changes "
        "queue instead of failing: 400 concurrent mutations of one claim and 600 of shared parties "
        "under distinct request ids never drew it; test_concurrent_distinct_mutations_all_apply "
        "checks that none is lost and retries it as documented"
    ),
}

TESTS_DIR = Path(__file__).resolve().parent

pytestmark = pytest.mark.offline


def reached_reasons() -> dict[str, list[str]]:
    """Reason -> test functions marked `@reaches(...)` with it, read from the test sources (so
    the answer does not depend on which tests this run selected)."""
    reached: dict[str, list[str]] = {}
    for path in sorted(TESTS_DIR.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                func = decorator.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name != "reaches":
                    continue
                for arg in decorator.args:
                    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                        f"{path.name}:{node.name}: @reaches takes string literals"
                    )
                    reached.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return reached


def test_the_reasons_table_is_parsed() -> None:
    table = documented_reasons()
    assert {"INVALID_ARGUMENT", "NOT_FOUND", "ETAG_MISMATCH", "INTERNAL"} <= set(table)
    assert table["ETAG_MISMATCH"] == "ABORTED"


def test_every_documented_reason_is_reached_or_exempt() -> None:
    reached = reached_reasons()
    uncovered = sorted(set(documented_reasons()) - set(reached) - set(EXEMPT))
    assert not uncovered, (
        f"{ERRORS_DOC} lists reasons that no contract test provokes: {uncovered}. Add a test "
        "marked @reaches(REASON) that provokes each over the wire with support.expect_refusal, "
        "or, if no client can provoke it, an entry in EXEMPT with the reason why."
    )


def test_reached_and_exempt_reasons_are_documented() -> None:
    documented = set(documented_reasons())
    unknown = sorted((set(reached_reasons()) | set(EXEMPT)) - documented)
    assert not unknown, f"not in {ERRORS_DOC}: {unknown}"


def test_no_reason_is_both_reached_and_exempt() -> None:
    both = sorted(set(reached_reasons()) & set(EXEMPT))
    assert not both, f"reached by a test, so no longer exempt: {both}"
