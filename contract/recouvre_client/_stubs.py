"""Generates the Python stubs of `recouvre.v1` from the repository's `proto/` directory.

The stubs are never committed: they are generated into `contract/.generated/` (gitignored) by
`python -m recouvre_client.generate` (which runs `python -m grpc_tools.protoc`), and again on
import whenever a `.proto` file changed (a stamp holds the hash of the sources they were made
from).

Only `proto/recouvre/v1/*.proto` is compiled. `google/type/date.proto` comes from the
googleapis-common-protos package (which ships `google.type.date_pb2`) and the well-known types
from protobuf, so every `google.*` module is the one the installed packages register.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The kit's directory (`contract/`).
CONTRACT_DIR = Path(__file__).resolve().parent.parent
#: Where the generated package `recouvre.v1` goes (gitignored).
GENERATED_DIR = CONTRACT_DIR / ".generated"
_STAMP = GENERATED_DIR / ".source-hash"


def proto_root() -> Path:
    """The directory holding `recouvre/v1/*.proto`: `$RECOUVRE_PROTO_DIR`, else `proto/`."""
    configured = os.environ.get("RECOUVRE_PROTO_DIR")
    return Path(configured).resolve() if configured else CONTRACT_DIR.parent / "proto"


def proto_files(root: Path | None = None) -> list[Path]:
    """The API's `.proto` files, sorted."""
    root = root or proto_root()
    files = sorted((root / "recouvre" / "v1").glob("*.proto"))
    if not files:
        raise FileNotFoundError(f"no recouvre/v1/*.proto under {root}")
    return files


def _source_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in proto_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _include_dirs() -> list[Path]:
    """googleapis-common-protos first (google/type/date.proto), then protobuf's own protos."""
    import google.type.date_pb2 as date_pb2  # googleapis-common-protos
    import grpc_tools

    googleapis = Path(date_pb2.__file__).resolve().parent.parent.parent
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    return [googleapis, well_known]


def generate(force: bool = False) -> Path:
    """Generates the stubs unless they are current; returns the directory to put on sys.path."""
    root = proto_root()
    wanted = _source_hash(root)
    if not force and _STAMP.is_file() and _STAMP.read_text().strip() == wanted:
        return GENERATED_DIR

    # The sources go to a scratch tree holding only recouvre/v1, so the vendored copy of
    # google/type/date.proto in proto/ is not compiled or preferred over the package's.
    with tempfile.TemporaryDirectory(prefix="recouvre-protos-") as scratch_name:
        scratch = Path(scratch_name)
        sources = scratch / "src"
        out = scratch / "out"
        (sources / "recouvre" / "v1").mkdir(parents=True)
        out.mkdir()
        for path in proto_files(root):
            shutil.copy2(path, sources / "recouvre" / "v1" / path.name)
        args = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{sources}",
            *(f"-I{d}" for d in _include_dirs()),
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            *(f"recouvre/v1/{p.name}" for p in proto_files(root)),
        ]
        if subprocess.run(args, check=False).returncode != 0:
            raise RuntimeError(f"grpc_tools.protoc failed on {root}/recouvre/v1/*.proto")
        for package in (out / "recouvre", out / "recouvre" / "v1"):
            (package / "__init__.py").touch()
        (out / "recouvre" / "py.typed").touch()
        (out / ".source-hash").write_text(wanted + "\n")
        # Generated aside, then swapped in: an interrupted run leaves no half-written stubs.
        staged = CONTRACT_DIR / f".generated.tmp-{os.getpid()}"
        if staged.exists():
            shutil.rmtree(staged)
        shutil.copytree(out, staged)
        if GENERATED_DIR.exists():
            shutil.rmtree(GENERATED_DIR)
        staged.rename(GENERATED_DIR)
    return GENERATED_DIR


def ensure_importable() -> None:
    """Generates the stubs if needed and puts them on `sys.path` (`import recouvre.v1`)."""
    path = str(generate())
    if path not in sys.path:
        sys.path.insert(0, path)
