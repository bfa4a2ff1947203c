"""Escalation policies, tasks and the outbox, as any client sees them: the two built-in
policies, validation reported field by field, assignment of new claims, the refusals of
DeletePolicy, and tenancy. (Passes of the scheduler need an operator key and time; the Rust
integration tests run whole journeys.)"""

from __future__ import annotations

import grpc
from recouvre_client import (
    Client,
    amount_of,
    automation_pb2,
    claims_pb2,
    date,
    new_request_id,
    parties_pb2,
)
from support import create_claim, days, expect_refusal, reaches

Code = grpc.StatusCode


def three_steps(**policy: object) -> automation_pb2.Policy:
    return automation_pb2.Policy(
        steps=[
            automation_pb2.PolicyStep(
                action=automation_pb2.STEP_ACTION_EMAIL_REMINDER,
                delay_days=3,
                **{"from": automation_pb2.DELAY_FROM_DUE_DATE},
            ),
            automation_pb2.PolicyStep(
                action=automation_pb2.STEP_ACTION_FORMAL_NOTICE, delay_days=10
            ),
            automation_pb2.PolicyStep(
                action=automation_pb2.STEP_ACTION_LEGAL_REVIEW, delay_days=9
            ),
        ],
        **policy,
    )


def test_every_tenant_has_the_two_builtin_policies(client: Client) -> None:
    policies = client.policies.ListPolicies(automation_pb2.ListPoliciesRequest()).policies
    builtins = {p.builtin: p for p in policies if p.builtin}
    assert set(builtins) == {"b2b", "b2c"}
    actions = [s.action for s in builtins["b2b"].steps]
    assert actions[0] == automation_pb2.STEP_ACTION_EMAIL_REMINDER
    assert actions[-2:] == [
        automation_pb2.STEP_ACTION_FORMAL_NOTICE,
        automation_pb2.STEP_ACTION_LEGAL_REVIEW,
    ]
    assert automation_pb2.STEP_ACTION_VISIT_TASK not in [s.action for s in builtins["b2c"].steps]


@reaches("INVALID_ARGUMENT")
def test_a_policy_is_checked_field_by_field(client: Client) -> None:
    bad = automation_pb2.Policy(
        name="",
        steps=[automation_pb2.PolicyStep(action=automation_pb2.STEP_ACTION_LEGAL_REVIEW)],
    )
    details = expect_refusal(
        lambda: client.policies.CreatePolicy(
            automation_pb2.CreatePolicyRequest(request_id=new_request_id(), policy=bad)
        ),
        Code.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    fields = {v.field for v in details.field_violations}
    assert {"policy.name", "policy.steps[0].action"} <= fields, fields


@reaches("POLICY_IN_USE", "POLICY_BUILTIN")
def test_policies_assign_claims_and_refuse_deletion_while_used(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    policy = client.policies.CreatePolicy(
        automation_pb2.CreatePolicyRequest(
            request_id=new_request_id(),
            policy=three_steps(
                name="Contract: this creditor",
                priority=5,
                assignment=automation_pb2.PolicyAssignment(creditor_id=creditor.id),
            ),
        )
    )
    assert policy.builtin == "" and policy.etag
    claim = create_claim(client, creditor.id, debtor.id, ["410.00"])
    assert claim.policy_id == policy.id
    assert claim.next_step == 0 and claim.HasField("planned_step_time")
    expect_refusal(
        lambda: client.policies.DeletePolicy(
            automation_pb2.DeletePolicyRequest(request_id=new_request_id(), id=policy.id)
        ),
        Code.FAILED_PRECONDITION,
        "POLICY_IN_USE",
    )
    builtin = next(
        p for p in client.policies.ListPolicies(automation_pb2.ListPoliciesRequest()).policies
        if p.builtin == "b2b"
    )
    expect_refusal(
        lambda: client.policies.DeletePolicy(
            automation_pb2.DeletePolicyRequest(request_id=new_request_id(), id=builtin.id)
        ),
        Code.FAILED_PRECONDITION,
        "POLICY_BUILTIN",
    )


@reaches("NOT_FOUND")
def test_another_tenants_policy_is_not_found(client: Client, other_tenant: Client) -> None:
    policy = client.policies.CreatePolicy(
        automation_pb2.CreatePolicyRequest(
            request_id=new_request_id(), policy=three_steps(name="Contract: private")
        )
    )
    expect_refusal(
        lambda: other_tenant.policies.GetPolicy(automation_pb2.GetPolicyRequest(id=policy.id)),
        Code.NOT_FOUND,
        "NOT_FOUND",
    )
    theirs = other_tenant.policies.ListPolicies(automation_pb2.ListPoliciesRequest()).policies
    assert policy.id not in {p.id for p in theirs}


def test_tasks_and_outbox_list_only_the_tenants_own(client: Client, other_tenant: Client) -> None:
    ours = {t.id for t in client.tasks.ListTasks(automation_pb2.ListTasksRequest(include_done=True)).tasks}
    theirs = {
        t.id for t in other_tenant.tasks.ListTasks(automation_pb2.ListTasksRequest(include_done=True)).tasks
    }
    assert not ours & theirs
    mine = {m.id for m in client.outbox.ListOutboxMessages(automation_pb2.ListOutboxMessagesRequest()).messages}
    others = {
        m.id
        for m in other_tenant.outbox.ListOutboxMessages(
            automation_pb2.ListOutboxMessagesRequest()
        ).messages
    }
    assert not mine & others


@reaches("NO_PAYMENT_PLAN_PROPOSED", "PAYMENT_PLAN_ACTIVE")
def test_a_payment_plan_is_proposed_then_agreed(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["600.00"])
    expect_refusal(
        lambda: client.claims.AgreePaymentPlan(
            claims_pb2.AgreePaymentPlanRequest(request_id=new_request_id(), claim_id=claim.id)
        ),
        Code.FAILED_PRECONDITION,
        "NO_PAYMENT_PLAN_PROPOSED",
    )

    def propose() -> claims_pb2.Claim:
        return client.claims.ProposePaymentPlan(
            claims_pb2.ProposePaymentPlanRequest(
                request_id=new_request_id(),
                claim_id=claim.id,
                instalment_count=3,
                first_due_date=date(days(10)),
                grace_days=3,
            )
        )

    proposed = propose()
    plan = proposed.payment_plan
    assert plan.status == claims_pb2.PAYMENT_PLAN_STATUS_PROPOSED
    assert sum(amount_of(i.amount) for i in plan.instalments) == amount_of(plan.total)
    assert amount_of(plan.total) == amount_of(proposed.amount_owed)
    agreed = client.claims.AgreePaymentPlan(
        claims_pb2.AgreePaymentPlanRequest(request_id=new_request_id(), claim_id=claim.id)
    )
    assert agreed.payment_plan.status == claims_pb2.PAYMENT_PLAN_STATUS_ACTIVE
    assert claims_pb2.HOLD_PAYMENT_PLAN in agreed.holds
    expect_refusal(propose, Code.FAILED_PRECONDITION, "PAYMENT_PLAN_ACTIVE")
