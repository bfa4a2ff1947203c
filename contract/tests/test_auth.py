"""Who may call what: a bearer API key is required, and its role decides the methods."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
from recouvre_client import Client, access_pb2, claims_pb2, new_request_id, parties_pb2
from support import (
    business_debtor_message,
    create_claim,
    creditor_message,
    expect_refusal,
    reaches,
    unique,
)

from conftest import Deployment

Code = grpc.StatusCode


def list_creditors(client: Client) -> object:
    return client.creditors.ListCreditors(parties_pb2.ListCreditorsRequest(page_size=1))


def all_api_keys(client: Client) -> list[access_pb2.ApiKey]:
    keys: list[access_pb2.ApiKey] = []
    token = ""
    while True:
        page = client.api_keys.ListApiKeys(
            access_pb2.ListApiKeysRequest(page_size=500, page_token=token)
        )
        keys.extend(page.api_keys)
        token = page.next_page_token
        if not token:
            return keys


@reaches("UNAUTHENTICATED")
def test_calls_without_a_valid_key_are_unauthenticated(
    deployment: Deployment, anonymous: Client
) -> None:
    expect_refusal(lambda: list_creditors(anonymous), Code.UNAUTHENTICATED, "UNAUTHENTICATED")
    with deployment.connect(f"rcv_{uuid.uuid4().hex}") as unknown:
        expect_refusal(lambda: list_creditors(unknown), Code.UNAUTHENTICATED, "UNAUTHENTICATED")
    # Not a bearer token at all.
    expect_refusal(
        lambda: anonymous.creditors.ListCreditors(
            parties_pb2.ListCreditorsRequest(),
            metadata=[("authorization", f"Basic {deployment.api_key}")],
        ),
        Code.UNAUTHENTICATED,
        "UNAUTHENTICATED",
    )


@reaches("UNAUTHENTICATED")
def test_revoked_key_is_unauthenticated(deployment: Deployment, client: Client) -> None:
    key = client.api_keys.CreateApiKey(
        access_pb2.CreateApiKeyRequest(
            request_id=new_request_id(),
            api_key=access_pb2.ApiKey(role=access_pb2.ROLE_AGENT, label=unique("contract revoked")),
        )
    )
    revoked = client.api_keys.RevokeApiKey(
        access_pb2.RevokeApiKeyRequest(request_id=new_request_id(), id=key.id)
    )
    assert revoked.HasField("revoke_time")
    # Revoked before its first use, so no replica has it cached: refused everywhere at once.
    with deployment.connect(key.token) as revoked_client:
        expect_refusal(
            lambda: list_creditors(revoked_client), Code.UNAUTHENTICATED, "UNAUTHENTICATED"
        )
    listed = all_api_keys(client)
    assert [k.HasField("revoke_time") for k in listed if k.id == key.id] == [True]
    assert all(k.token == "" for k in listed), "listings never show tokens"


@reaches("PERMISSION_DENIED")
def test_roles_decide_the_methods(
    client: Client,
    as_role: Callable[[str], Client],
    creditor: parties_pb2.Creditor,
    debtor: parties_pb2.Debtor,
) -> None:
    legal, agent = as_role("legal"), as_role("agent")
    claim = create_claim(client, creditor.id, debtor.id)

    # legal reads everything ...
    assert legal.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id)) == claim
    assert legal.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=creditor.id)).id == creditor.id
    # ... and changes nothing.
    error = expect_refusal(
        lambda: legal.debtors.CreateDebtor(
            parties_pb2.CreateDebtorRequest(
                request_id=new_request_id(), debtor=business_debtor_message()
            )
        ),
        Code.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )
    assert error.metadata == {"required_role": "agent"}
    expect_refusal(
        lambda: legal.claims.RecordContact(
            claims_pb2.RecordContactRequest(
                request_id=new_request_id(),
                claim_id=claim.id,
                channel=claims_pb2.CONTACT_CHANNEL_PHONE,
                direction=claims_pb2.CONTACT_DIRECTION_OUTBOUND,
                outcome=claims_pb2.CONTACT_OUTCOME_NO_ANSWER,
            )
        ),
        Code.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )

    # agent works claims and debtors ...
    worked = agent.claims.RecordContact(
        claims_pb2.RecordContactRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            channel=claims_pb2.CONTACT_CHANNEL_PHONE,
            direction=claims_pb2.CONTACT_DIRECTION_OUTBOUND,
            outcome=claims_pb2.CONTACT_OUTCOME_NO_ANSWER,
        )
    )
    assert worked.event_count == claim.event_count + 1
    # ... but manages neither creditors nor keys.
    for call in (
        lambda: agent.creditors.CreateCreditor(
            parties_pb2.CreateCreditorRequest(request_id=new_request_id(), creditor=creditor_message())
        ),
        lambda: agent.api_keys.ListApiKeys(access_pb2.ListApiKeysRequest()),
    ):
        error = expect_refusal(call, Code.PERMISSION_DENIED, "PERMISSION_DENIED")
        assert error.metadata == {"required_role": "admin"}


@reaches("PERMISSION_DENIED")
def test_reference_rates_are_set_by_operators_only(
    client: Client, as_role: Callable[[str], Client]
) -> None:
    """Every tenant shares the rates: tenant keys, admin included, read them and set none."""
    table = client.rates.ListRates(claims_pb2.ListRatesRequest())
    assert table.ecb_rates and table.legal_interest_rates
    assert as_role("legal").rates.ListRates(claims_pb2.ListRatesRequest()) == table
    # Rows the table already holds, sent back as they are: had a refusal been missing, no
    # figure of the deployment under test would change.
    ecb, legal = table.ecb_rates[-1], table.legal_interest_rates[-1]
    for caller in (client, as_role("agent"), as_role("legal")):
        for call in (
            lambda: caller.rates.SetEcbRate(
                claims_pb2.SetEcbRateRequest(request_id=new_request_id(), rate=ecb)
            ),
            lambda: caller.rates.SetLegalInterestRate(
                claims_pb2.SetLegalInterestRateRequest(request_id=new_request_id(), rate=legal)
            ),
        ):
            error = expect_refusal(call, Code.PERMISSION_DENIED, "PERMISSION_DENIED")
            assert error.metadata == {"required_role": "operator"}
    assert client.rates.ListRates(claims_pb2.ListRatesRequest()) == table


@reaches("PERMISSION_DENIED")
def test_a_key_never_creates_a_stronger_one(client: Client) -> None:
    label = unique("contract operator")

    def create_operator() -> access_pb2.ApiKey:
        key = client.api_keys.CreateApiKey(
            access_pb2.CreateApiKeyRequest(
                request_id=new_request_id(),
                api_key=access_pb2.ApiKey(role=access_pb2.ROLE_OPERATOR, label=label),
            )
        )
        # Never leave an operator key behind, even when the refusal is missing.
        client.api_keys.RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(request_id=new_request_id(), id=key.id)
        )
        return key

    error = expect_refusal(create_operator, Code.PERMISSION_DENIED, "PERMISSION_DENIED")
    assert error.metadata == {"required_role": "operator"}
    assert [k for k in all_api_keys(client) if k.label == label] == []

    # Up to its own role, an admin creates keys.
    admin = client.api_keys.CreateApiKey(
        access_pb2.CreateApiKeyRequest(
            request_id=new_request_id(),
            api_key=access_pb2.ApiKey(role=access_pb2.ROLE_ADMIN, label=unique("contract admin")),
        )
    )
    assert admin.role == access_pb2.ROLE_ADMIN and admin.token
    client.api_keys.RevokeApiKey(
        access_pb2.RevokeApiKeyRequest(request_id=new_request_id(), id=admin.id)
    )
