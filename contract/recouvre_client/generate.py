"""`python -m recouvre_client.generate [--force]`: (re)generates the `recouvre.v1` stubs from
`proto/` into `contract/.generated/` (see `recouvre_client._stubs`)."""

from __future__ import annotations

import sys

from recouvre_client._stubs import generate


def main(argv: list[str]) -> int:
    out = generate(force="--force" in argv)
    modules = sorted(p.name for p in (out / "recouvre" / "v1").glob("*_pb2*.py"))
    print(f"recouvre.v1 stubs in {out}: {', '.join(modules)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
