"""Where the deployment under test is, and who calls it.

    RECOUVRE_ADDR           host:port, or an http:// / https:// URL (required)
    RECOUVRE_API_KEY        an `admin` key of a tenant the suite may write to (required)
    RECOUVRE_TLS            1: TLS (implied by an https:// address)
    RECOUVRE_CA_CERT        PEM file of the CA that signed the server certificate (TLS)
    RECOUVRE_OTHER_API_KEY  an `admin` key of ANOTHER tenant (cross-tenant tests; skipped without)
    RECOUVRE_LEGAL_API_KEY, RECOUVRE_AGENT_API_KEY
                            keys of those roles in the first tenant; without them the suite
                            creates them through ApiKeyService and revokes them at the end

Everything the suite creates is new (unique references, fresh creditors, UUID request ids),
so it runs against a deployment holding other data, and twice in a row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import support
from recouvre_client import Client, access_pb2, connect, new_request_id, parties_pb2


@dataclass(frozen=True)
class Deployment:
    addr: str
    api_key: str
    tls: bool
    root_certificates: bytes | None

    def connect(self, api_key: str | None) -> Client:
        return connect(
            self.addr, api_key, self.tls, root_certificates=self.root_certificates
        )


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    addr = os.environ.get("RECOUVRE_ADDR", "").strip()
    api_key = os.environ.get("RECOUVRE_API_KEY", "").strip()
    if not addr or not api_key:
        pytest.exit(
            "set RECOUVRE_ADDR (host:port of the deployment) and RECOUVRE_API_KEY (an admin "
            "key of a tenant the suite may write to); see contract/tests/conftest.py",
            returncode=4,
        )
    ca = os.environ.get("RECOUVRE_CA_CERT", "").strip()
    return Deployment(
        addr=addr,
        api_key=api_key,
        tls=os.environ.get("RECOUVRE_TLS", "").strip().lower() in {"1", "true", "yes"},
        root_certificates=Path(ca).read_bytes() if ca else None,
    )


@pytest.fixture(scope="session")
def client(deployment: Deployment) -> Iterator[Client]:
    """The admin key's client."""
    with deployment.connect(deployment.api_key) as c:
        yield c


@pytest.fixture(scope="session")
def anonymous(deployment: Deployment) -> Iterator[Client]:
    """A client sending no API key."""
    with deployment.connect(None) as c:
        yield c


@pytest.fixture(scope="session")
def other_api_key() -> str:
    """The admin key of another tenant (RECOUVRE_OTHER_API_KEY); skips the test without it."""
    key = os.environ.get("RECOUVRE_OTHER_API_KEY", "").strip()
    if not key:
        pytest.skip("RECOUVRE_OTHER_API_KEY is unset: no second tenant for cross-tenant tests")
    return key


@pytest.fixture(scope="session")
def other_tenant(deployment: Deployment, other_api_key: str) -> Iterator[Client]:
    """An admin of another tenant."""
    with deployment.connect(other_api_key) as c:
        yield c


@pytest.fixture(scope="session")
def role_keys(client: Client) -> Iterator[dict[str, str]]:
    """Tokens of a `legal` and an `agent` key of the first tenant: from the environment, or
    created here and revoked when the session ends."""
    keys: dict[str, str] = {}
    created: list[str] = []
    roles = {"legal": access_pb2.ROLE_LEGAL, "agent": access_pb2.ROLE_AGENT}
    for name, role in roles.items():
        token = os.environ.get(f"RECOUVRE_{name.upper()}_API_KEY", "").strip()
        if not token:
            key = client.api_keys.CreateApiKey(
                access_pb2.CreateApiKeyRequest(
                    request_id=new_request_id(),
                    api_key=access_pb2.ApiKey(role=role, label=support.unique(f"contract {name}")),
                )
            )
            token = key.token
            created.append(key.id)
        keys[name] = token
    yield keys
    for key_id in created:
        client.api_keys.RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(request_id=new_request_id(), id=key_id)
        )


@pytest.fixture(scope="session")
def as_role(deployment: Deployment, role_keys: dict[str, str]) -> Iterator[Callable[[str], Client]]:
    """`as_role("legal")`: a client with that role's key."""
    clients: dict[str, Client] = {}

    def get(role: str) -> Client:
        if role not in clients:
            clients[role] = deployment.connect(role_keys[role])
        return clients[role]

    yield get
    for c in clients.values():
        c.close()


@pytest.fixture
def creditor(client: Client) -> parties_pb2.Creditor:
    """A creditor created for this test: listings filtered on it hold only this test's claims."""
    return support.create_creditor(client)


@pytest.fixture
def debtor(client: Client) -> parties_pb2.Debtor:
    return support.create_debtor(client)


# --- docs/errors.md coverage: a test marked @reaches("X") must really observe X -------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.passed:
        promised = {r for m in item.iter_markers("reaches") for r in m.args}
        missing = promised - set(support.OBSERVED)
        if missing:
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} is marked @reaches{tuple(sorted(promised))} but never saw "
                f"{sorted(missing)} through support.expect_refusal"
            )
    return report


@pytest.fixture(autouse=True)
def _observed_reasons() -> Iterator[None]:
    support.OBSERVED.clear()
    yield


def pytest_report_header(config: pytest.Config) -> str:
    addr = os.environ.get("RECOUVRE_ADDR", "(unset)")
    extra = [
        name
        for name in ("RECOUVRE_OTHER_API_KEY", "RECOUVRE_LEGAL_API_KEY", "RECOUVRE_AGENT_API_KEY")
        if os.environ.get(name)
    ]
    return f"recouvre.v1 deployment: {addr} (also set: {', '.join(extra) or 'none'})"

