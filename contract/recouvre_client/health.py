"""Waiting for a deployment to be ready: `grpc.health.v1` answering SERVING.

    python -m recouvre_client.health [--timeout SECONDS] [ADDR]

ADDR defaults to $RECOUVRE_ADDR; TLS as in `connect` (https:// or RECOUVRE_TLS=1, CA from
RECOUVRE_CA_CERT). Exits 0 once
the server reports SERVING, 1 when the timeout passes first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from recouvre_client.client import connect


def wait_until_serving(
    addr: str,
    timeout: float = 60.0,
    tls: bool = False,
    service: str = "",
    root_certificates: bytes | None = None,
) -> bool:
    """Polls `Health.Check(service)` until SERVING or `timeout` seconds; True when SERVING."""
    deadline = time.monotonic() + timeout
    with connect(addr, None, tls, root_certificates=root_certificates, timeout=2.0) as client:
        while True:
            try:
                answer = client.health.Check(health_pb2.HealthCheckRequest(service=service))
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            except grpc.RpcError:
                pass  # not listening yet, or still starting
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m recouvre_client.health")
    parser.add_argument("addr", nargs="?", default=os.environ.get("RECOUVRE_ADDR", ""))
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not args.addr:
        parser.error("give ADDR or set RECOUVRE_ADDR")
    tls = os.environ.get("RECOUVRE_TLS", "").strip().lower() in {"1", "true", "yes"}
    ca = os.environ.get("RECOUVRE_CA_CERT", "").strip()
    roots = Path(ca).read_bytes() if ca else None
    if wait_until_serving(args.addr, args.timeout, tls, root_certificates=roots):
        print(f"{args.addr}: SERVING")
        return 0
    print(f"{args.addr}: not SERVING after {args.timeout:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
