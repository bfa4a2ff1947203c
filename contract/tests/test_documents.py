"""DocumentService from outside: a letter generated, stored, downloaded (gRPC and HTTP),
verified and listed; the refusals of missing data and of a broken template; tenancy and roles.

Deployment-independent: every claim here has invoices not yet due, so its statement as of today
needs no reference rate, whatever the deployment's rate tables hold (a document whose statement
needs an unpublished rate is refused with RATE_NOT_PUBLISHED, which test_refusals.py covers).
"""

from __future__ import annotations

import hashlib
import re
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

import grpc
import pytest
from conftest import Deployment
from recouvre_client import (
    Client,
    ErrorDetails,
    claims_pb2,
    date,
    documents_pb2,
    new_request_id,
    parse_address,
    parties_pb2,
)
from support import (
    create_claim,
    create_creditor,
    create_debtor,
    creditor_message,
    days,
    expect_refusal,
    reaches,
    unique,
)

Code = grpc.StatusCode

#: DownloadDocument's chunks are at most 64 KiB.
CHUNK = 64 * 1024
#: Typst that does not compile whatever the data: it calls a function that does not exist.
BROKEN_TYPST = "= Relance\n\n#this-function-does-not-exist()\n"


def signatory() -> documents_pb2.Signatory:
    return documents_pb2.Signatory(name="Claire Martin", title="Responsable du recouvrement")


def generate(
    claim_id: str,
    kind: documents_pb2.DocumentKind,
    *,
    signed_by: documents_pb2.Signatory | None = None,
    language: str = "fr",
    request_id: str = "",
) -> documents_pb2.GenerateDocumentRequest:
    request = documents_pb2.GenerateDocumentRequest(
        request_id=request_id or new_request_id(),
        claim_id=claim_id,
        kind=kind,
        language_code=language,
    )
    if signed_by is not None:
        request.signatory.CopyFrom(signed_by)
    return request


def get_claim(client: Client, claim_id: str) -> claims_pb2.Claim:
    return client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim_id))


def list_documents(client: Client, claim_id: str) -> list[documents_pb2.Document]:
    """Every document of the claim, page by page."""
    out: list[documents_pb2.Document] = []
    token = ""
    while True:
        page = client.documents.ListDocuments(
            documents_pb2.ListDocumentsRequest(claim_id=claim_id, page_size=100, page_token=token)
        )
        out.extend(page.documents)
        token = page.next_page_token
        if not token:
            return out


def list_events(client: Client, claim_id: str) -> list[claims_pb2.ClaimEvent]:
    out: list[claims_pb2.ClaimEvent] = []
    token = ""
    while True:
        page = client.claims.ListClaimEvents(
            claims_pb2.ListClaimEventsRequest(claim_id=claim_id, page_size=1000, page_token=token)
        )
        out.extend(page.events)
        token = page.next_page_token
        if not token:
            return out


def templates_of(
    client: Client, kind: documents_pb2.DocumentKind, language: str
) -> list[documents_pb2.Template]:
    answer = client.documents.ListTemplates(documents_pb2.ListTemplatesRequest())
    return [t for t in answer.templates if (t.kind, t.language_code) == (kind, language)]


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Message
    body: bytes


def http_get(deployment: Deployment, path: str, api_key: str | None) -> HttpAnswer:
    """`GET path` on the deployment's address (plain HTTP beside gRPC), with `authorization:
    Bearer <api_key>` unless None."""
    target, tls = parse_address(deployment.addr, deployment.tls)
    url = f"{'https' if tls else 'http'}://{target}{path}"
    headers = {"authorization": f"Bearer {api_key}"} if api_key is not None else {}
    context = None
    if tls:
        roots = deployment.root_certificates
        context = ssl.create_default_context(cadata=roots.decode() if roots else None)
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return HttpAnswer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, error.headers, error.read())


@dataclass(frozen=True)
class Letter:
    """A WARNING_LETTER_1 generated for a fresh not-yet-due claim, and how it was asked."""

    claim: claims_pb2.Claim  # as it was before the generation
    request: documents_pb2.GenerateDocumentRequest
    document: documents_pb2.Document


@pytest.fixture(scope="module")
def letter(client: Client) -> Letter:
    """A fully described creditor (address, SIREN, IBAN, contact e-mail and phone) and a
    business debtor; a claim of 1200.00 not yet due; its first warning letter in French."""
    creditor = create_creditor(client)
    assert creditor.iban and creditor.contact_email and creditor.contact_phone and creditor.siren
    debtor = create_debtor(client)
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    request = generate(claim.id, documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1)
    return Letter(claim, request, client.documents.GenerateDocument(request))


# --- a letter's round trip ---------------------------------------------------------------


def test_warning_letter_metadata(client: Client, letter: Letter) -> None:
    doc = letter.document
    uuid.UUID(doc.id)
    assert doc.claim_id == letter.claim.id
    assert doc.kind == documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1
    assert doc.language_code == "fr"
    assert doc.content_type == "application/pdf"
    assert doc.size_bytes > 0
    assert re.fullmatch(r"[0-9a-f]{64}", doc.sha256), doc.sha256
    assert doc.download_path == f"/v1/documents/{doc.id}"
    assert doc.file_name.endswith(".pdf") and "/" not in doc.file_name, doc.file_name
    assert doc.template_version, "the template it was rendered from is named"
    assert doc.page_count >= 1
    assert doc.HasField("create_time")
    assert client.documents.GetDocument(documents_pb2.GetDocumentRequest(id=doc.id)) == doc


def test_warning_letter_download_has_the_stored_hash(client: Client, letter: Letter) -> None:
    doc = letter.document
    chunks = list(client.documents.DownloadDocument(documents_pb2.DownloadDocumentRequest(id=doc.id)))
    assert chunks, "a document of size_bytes > 0 comes in at least one chunk"
    offset = 0
    for chunk in chunks:
        assert chunk.offset == offset, "chunks come in order, each where the previous ended"
        assert 0 < len(chunk.data) <= CHUNK, len(chunk.data)
        offset += len(chunk.data)
    content = b"".join(c.data for c in chunks)
    assert len(content) == doc.size_bytes
    assert hashlib.sha256(content).hexdigest() == doc.sha256
    assert content.startswith(b"%PDF")
    assert client.download(doc.id) == content


def test_warning_letter_is_reproduced(client: Client, letter: Letter) -> None:
    doc = letter.document
    verdict = client.documents.VerifyDocument(documents_pb2.VerifyDocumentRequest(id=doc.id))
    assert verdict.reproduced, verdict
    assert verdict.stored_sha256 == verdict.rendered_sha256 == doc.sha256
    assert verdict.template_version == doc.template_version


def test_warning_letter_is_listed_and_on_the_timeline(client: Client, letter: Letter) -> None:
    doc = letter.document
    assert list_documents(client, letter.claim.id) == [doc], "listed with the same metadata"

    after = get_claim(client, letter.claim.id)
    assert after.event_count == letter.claim.event_count + 1
    assert after.etag != letter.claim.etag
    last = list_events(client, letter.claim.id)[-1]
    assert last.kind == claims_pb2.CLAIM_EVENT_KIND_DOCUMENT_GENERATED, last
    assert last.kind_name == "document_generated"
    assert doc.id in last.payload_json and doc.sha256 in last.payload_json, last.payload_json
    chain = client.claims.VerifyClaimEvents(
        claims_pb2.VerifyClaimEventsRequest(claim_id=letter.claim.id)
    )
    assert chain.intact, chain


def test_generation_replayed_returns_the_same_document(client: Client, letter: Letter) -> None:
    again = client.documents.GenerateDocument(letter.request)
    assert again == letter.document
    assert [d.id for d in list_documents(client, letter.claim.id)] == [letter.document.id]


def test_warning_letter_over_http(deployment: Deployment, client: Client, letter: Letter) -> None:
    doc = letter.document
    answer = http_get(deployment, doc.download_path, deployment.api_key)
    assert answer.status == 200, (answer.status, answer.body[:200])
    content_type = answer.headers.get("content-type", "")
    assert content_type.split(";")[0].strip() == "application/pdf", content_type
    assert answer.body == client.download(doc.id)
    assert hashlib.sha256(answer.body).hexdigest() == doc.sha256

    anonymous = http_get(deployment, doc.download_path, None)
    assert anonymous.status == 401, (anonymous.status, anonymous.body[:200])
    assert b"%PDF" not in anonymous.body
    unknown_key = http_get(deployment, doc.download_path, "rcv_" + uuid.uuid4().hex)
    assert unknown_key.status == 401, (unknown_key.status, unknown_key.body[:200])

    missing = http_get(deployment, f"/v1/documents/{uuid.uuid4()}", deployment.api_key)
    assert missing.status == 404, (missing.status, missing.body[:200])


# --- tenancy and roles -------------------------------------------------------------------


def not_found_like_missing(call: Callable[[str], object], existing_id: str, resource: str) -> None:
    """`call(existing_id)` from the other tenant answers exactly as `call(random id)`."""
    missing = str(uuid.uuid4())
    theirs = expect_refusal(lambda: call(existing_id), Code.NOT_FOUND, "NOT_FOUND")
    absent = expect_refusal(lambda: call(missing), Code.NOT_FOUND, "NOT_FOUND")
    assert theirs.metadata == {"resource": resource, "id": existing_id}, theirs.metadata
    assert absent.metadata == {"resource": resource, "id": missing}, absent.metadata
    assert theirs.message.replace(existing_id, "<id>") == absent.message.replace(missing, "<id>")


@reaches("NOT_FOUND")
def test_other_tenant_cannot_reach_our_documents(
    deployment: Deployment, other_tenant: Client, other_api_key: str, letter: Letter
) -> None:
    o = other_tenant
    doc = letter.document
    not_found_like_missing(
        lambda i: o.documents.GetDocument(documents_pb2.GetDocumentRequest(id=i)), doc.id, "document"
    )
    not_found_like_missing(
        lambda i: o.documents.VerifyDocument(documents_pb2.VerifyDocumentRequest(id=i)),
        doc.id,
        "document",
    )
    not_found_like_missing(lambda i: o.download(i), doc.id, "document")
    not_found_like_missing(
        lambda i: o.documents.ListDocuments(documents_pb2.ListDocumentsRequest(claim_id=i)),
        letter.claim.id,
        "claim",
    )
    not_found_like_missing(
        lambda i: o.documents.GenerateDocument(
            generate(i, documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1)
        ),
        letter.claim.id,
        "claim",
    )
    answer = http_get(deployment, doc.download_path, other_api_key)
    assert answer.status == 404, (answer.status, answer.body[:200])


@reaches("PERMISSION_DENIED")
def test_document_roles(
    deployment: Deployment, as_role: Callable[[str], Client], letter: Letter, client: Client
) -> None:
    """`legal` reads and downloads but does not generate; `agent` generates but does not set
    templates."""
    legal = as_role("legal")
    doc = letter.document
    assert legal.documents.GetDocument(documents_pb2.GetDocumentRequest(id=doc.id)) == doc
    assert hashlib.sha256(legal.download(doc.id)).hexdigest() == doc.sha256
    error = expect_refusal(
        lambda: legal.documents.GenerateDocument(
            generate(letter.claim.id, documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1)
        ),
        Code.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )
    assert error.metadata == {"required_role": "agent"}, error.metadata

    agent = as_role("agent")
    error = expect_refusal(
        lambda: agent.documents.SetTemplate(
            documents_pb2.SetTemplateRequest(
                request_id=new_request_id(),
                template=documents_pb2.Template(
                    kind=documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1,
                    language_code="fr",
                    source="= Relance\n",
                ),
            )
        ),
        Code.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )
    assert error.metadata == {"required_role": "admin"}, error.metadata
    assert [d.id for d in list_documents(client, letter.claim.id)] == [doc.id]


# --- DOCUMENT_DATA_MISSING ---------------------------------------------------------------


def subjects(error: ErrorDetails) -> list[str]:
    violations = error.precondition_violations
    assert violations, f"no PreconditionFailure violation: {error}"
    assert all(v.type == "DOCUMENT_DATA_MISSING" for v in violations), violations
    assert all(v.subject and v.description for v in violations), violations
    return [v.subject for v in violations]


def assert_nothing_generated(client: Client, before: claims_pb2.Claim) -> None:
    after = get_claim(client, before.id)
    assert (after.etag, after.event_count) == (before.etag, before.event_count), (
        "a refused generation must leave the claim as it was"
    )
    assert list_documents(client, before.id) == []


@reaches("DOCUMENT_DATA_MISSING")
def test_formal_notice_needs_a_signatory(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """Everything else is there (a fully described creditor and debtor, a statement that
    needs no rate): only the signatory is missing, and the notice is refused, not printed
    with a blank."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    for request in (
        generate(claim.id, documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE),
        generate(claim.id, documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE, signed_by=documents_pb2.Signatory()),
    ):
        error = expect_refusal(
            lambda: client.documents.GenerateDocument(request),
            Code.FAILED_PRECONDITION,
            "DOCUMENT_DATA_MISSING",
        )
        found = subjects(error)
        assert "signatory" in found, found
        assert not [s for s in found if s.startswith(("creditor", "debtor", "claim"))], (
            f"the creditor, debtor and claim are fully described: {found}"
        )
        assert_nothing_generated(client, claim)

    # Signed, the same notice is generated.
    notice = client.documents.GenerateDocument(
        generate(claim.id, documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE, signed_by=signatory())
    )
    assert notice.kind == documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE
    assert notice.content_type == "application/pdf" and notice.size_bytes > 0
    assert [d.id for d in list_documents(client, claim.id)] == [notice.id]


@reaches("DOCUMENT_DATA_MISSING")
def test_every_missing_field_is_listed_at_once(client: Client, debtor: parties_pb2.Debtor) -> None:
    """A creditor without an IBAN (nowhere to pay) and a notice without a signatory: one
    refusal names both, so the caller fixes its data in one round."""
    no_iban = client.creditors.CreateCreditor(
        parties_pb2.CreateCreditorRequest(
            request_id=new_request_id(), creditor=creditor_message(iban="", bic="")
        )
    )
    assert not no_iban.iban
    claim = create_claim(client, no_iban.id, debtor.id, ["1200.00"])
    error = expect_refusal(
        lambda: client.documents.GenerateDocument(
            generate(claim.id, documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE)
        ),
        Code.FAILED_PRECONDITION,
        "DOCUMENT_DATA_MISSING",
    )
    found = subjects(error)
    assert {"signatory", "creditor.iban"} <= set(found), found
    assert len(found) == len(set(found)), f"each field once: {found}"

    # A signatory without a title: that field is named, not the whole signatory.
    error = expect_refusal(
        lambda: client.documents.GenerateDocument(
            generate(
                claim.id,
                documents_pb2.DOCUMENT_KIND_FORMAL_NOTICE,
                signed_by=documents_pb2.Signatory(name="Claire Martin"),
            )
        ),
        Code.FAILED_PRECONDITION,
        "DOCUMENT_DATA_MISSING",
    )
    found = subjects(error)
    assert {"signatory.title", "creditor.iban"} <= set(found), found
    assert "signatory" not in found and "signatory.name" not in found, found

    # A warning letter needs no signatory, but the IBAN still.
    error = expect_refusal(
        lambda: client.documents.GenerateDocument(
            generate(claim.id, documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1)
        ),
        Code.FAILED_PRECONDITION,
        "DOCUMENT_DATA_MISSING",
    )
    found = subjects(error)
    assert "creditor.iban" in found, found
    assert not [s for s in found if s.startswith("signatory")], found
    assert_nothing_generated(client, claim)


@reaches("DOCUMENT_DATA_MISSING")
def test_payment_plan_agreement_needs_a_plan(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """The payment-plan agreement prints the claim's plan: refused naming `payment_plan`
    while there is none; generated once a plan is proposed, and again once it is agreed."""
    kind = documents_pb2.DOCUMENT_KIND_PAYMENT_PLAN_AGREEMENT
    claim = create_claim(client, creditor.id, debtor.id, ["900.00"])
    error = expect_refusal(
        lambda: client.documents.GenerateDocument(generate(claim.id, kind, signed_by=signatory())),
        Code.FAILED_PRECONDITION,
        "DOCUMENT_DATA_MISSING",
    )
    assert subjects(error) == ["payment_plan"], error
    assert_nothing_generated(client, claim)

    client.claims.ProposePaymentPlan(
        claims_pb2.ProposePaymentPlanRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            instalment_count=3,
            first_due_date=date(days(15)),
            grace_days=5,
        )
    )
    offer = client.documents.GenerateDocument(generate(claim.id, kind, signed_by=signatory()))
    client.claims.AgreePaymentPlan(
        claims_pb2.AgreePaymentPlanRequest(request_id=new_request_id(), claim_id=claim.id)
    )
    agreement = client.documents.GenerateDocument(
        generate(claim.id, kind, signed_by=signatory(), language="en")
    )
    for doc in (offer, agreement):
        assert doc.kind == kind
        assert doc.content_type == "application/pdf" and doc.size_bytes > 0
        assert doc.template_version.startswith("payment_plan_agreement@"), doc.template_version
        content = client.download(doc.id)
        assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == doc.sha256
    assert agreement.language_code == "en"
    assert [d.id for d in list_documents(client, claim.id)] == [offer.id, agreement.id]
    recorded = [
        e.payload_json
        for e in list_events(client, claim.id)
        if e.kind == claims_pb2.CLAIM_EVENT_KIND_DOCUMENT_GENERATED
    ]
    assert len(recorded) == 2, recorded
    assert offer.id in recorded[0] and agreement.id in recorded[1], recorded


# --- TEMPLATE_INVALID --------------------------------------------------------------------


@reaches("TEMPLATE_INVALID")
def test_broken_template_is_refused_and_not_stored(client: Client) -> None:
    kind = documents_pb2.DOCUMENT_KIND_WARNING_LETTER_1
    # The tenant may already have its own template (another run, or its users): then it must
    # be the same one afterwards, same version, same source.
    before = templates_of(client, kind, "fr")
    request = documents_pb2.SetTemplateRequest(
        request_id=new_request_id(),
        template=documents_pb2.Template(kind=kind, language_code="fr", source=BROKEN_TYPST),
    )
    error = expect_refusal(
        lambda: client.documents.SetTemplate(request), Code.INVALID_ARGUMENT, "TEMPLATE_INVALID"
    )
    assert error.fields == ["template.source"], error.field_violations
    diagnostics = error.field_violations[0].description
    assert diagnostics.strip(), "the renderer's diagnostics"
    after = templates_of(client, kind, "fr")
    assert after == before, "a refused template is never stored"
    assert all(t.source != BROKEN_TYPST for t in after)
    if before:
        assert [t.version for t in after] == [t.version for t in before]
    else:
        assert after == []
