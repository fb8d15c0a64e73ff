"""Stansfield's least-squares fix of several bearings on one fire, with its error ellipse and a consistency test.

Stansfield (1947, "Statistical theory of d.f. fixing", J. IEE 94 IIIA) gave the classical estimator
of a position from bearings with normal errors: each bearing is a line from its observer, and the
fix minimises the sum of squared perpendicular misses, each weighted by 1 / (sigma_i * d_i)^2, where
sigma_i is the bearing's error in radians and d_i the distance from the observer to the fix. The
weights depend on the fix, so it is iterated from the median distances. The inverse of the normal
matrix is the fix's covariance: its error ellipse. Each report's own distance estimate enters as a
further observation along its bearing, weighted by its log-normal spread (an extension of
Stansfield's bearings-only estimator: it matters only when the bearings cross at a shallow angle).

Bearings that do not meet (parallel, diverging, or meeting behind an observer), or meet where
their misses and the reported distances are improbable, are *inconsistent*: the test is a
chi-square of the bearing misses and the log-distance misses (2k - 2 degrees of freedom for k
reports) at the 1 % level. An inconsistent group is reported as such, never intersected into a
sliver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from geo.attribution.density import Densities

ITERATIONS = 6
# Closer than this the weight 1/d^2 would blow up; a fix this near an observer is its position.
MIN_RANGE_M = 50.0
CONSISTENCY_LEVEL = 0.99
# The ellipse drawn and reported: 95 % of the fix's probability.
ELLIPSE_LEVEL = 0.95


@dataclass(frozen=True)
class Fixes:
    """One row per group: the fix (theatre CRS), its covariance and whether its bearings agree."""

    x: np.ndarray
    y: np.ndarray
    cov: np.ndarray  # (g, 2, 2) square metres
    consistent: np.ndarray  # (g,) bool
    chi2: np.ndarray  # (g,)

    @classmethod
    def empty(cls) -> Fixes:
        """No groups."""
        none = np.zeros(0)
        return cls(none, none, np.zeros((0, 2, 2)), np.zeros(0, dtype=bool), none)

    def ellipse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Semi-major and semi-minor axes of the 95 % ellipse (metres) and the major axis's azimuth (degrees)."""
        values, vectors = np.linalg.eigh(self.cov)
        scale = np.sqrt(chi2.ppf(ELLIPSE_LEVEL, 2))
        major = np.sqrt(np.maximum(values[:, 1], 0.0)) * scale
        minor = np.sqrt(np.maximum(values[:, 0], 0.0)) * scale
        azimuth = np.degrees(np.arctan2(vectors[:, 0, 1], vectors[:, 1, 1])) % 180.0
        return major, minor, azimuth


def stansfield(d: Densities, group: np.ndarray, n_groups: int) -> Fixes:
    """Fix every group of bearings at once.

    Parameters
    ----------
    d
        The members' densities (observer, bearing and its sigma, log-normal distance).
    group
        Each member's group number, 0 to ``n_groups - 1``.
    """
    theta = np.radians(d.bearing + d.north)
    ux, uy = np.sin(theta), np.cos(theta)  # along the bearing
    nx, ny = np.cos(theta), -np.sin(theta)  # across it
    sigma = np.radians(d.sigma_bearing)
    rng = np.exp(d.log_d)
    offset = nx * d.x + ny * d.y

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=n_groups)

    px = py = np.zeros(n_groups)
    a11 = a12 = a22 = np.ones(n_groups)
    # The reported distance is a second, weaker observation along each bearing: its weight is
    # 1 / (r * sigma_log_d)^2, so a heard "about 5 km" barely moves a fix of two crossing bearings
    # but keeps two nearly parallel ones from running off along their common direction.
    reported = np.exp(d.log_d)
    wr = 1.0 / (reported * d.sigma_log_d) ** 2
    along = ux * d.x + uy * d.y + reported
    for _ in range(ITERATIONS):
        w = 1.0 / (sigma * np.maximum(rng, MIN_RANGE_M)) ** 2
        a11 = total(w * nx * nx + wr * ux * ux)
        a12 = total(w * nx * ny + wr * ux * uy)
        a22 = total(w * ny * ny + wr * uy * uy)
        b1 = total(w * nx * offset + wr * ux * along)
        b2 = total(w * ny * offset + wr * uy * along)
        det = a11 * a22 - a12**2
        ok = det > 1e-12 * (a11 + a22) ** 2
        safe = np.where(ok, det, 1.0)
        px = np.where(ok, (a22 * b1 - a12 * b2) / safe, np.nan)
        py = np.where(ok, (a11 * b2 - a12 * b1) / safe, np.nan)
        rng = np.hypot(px[group] - d.x, py[group] - d.y)
        rng = np.where(np.isfinite(rng), rng, np.exp(d.log_d))
    det = a11 * a22 - a12**2
    parallel = ~(det > 1e-12 * (a11 + a22) ** 2)
    safe = np.where(parallel, 1.0, det)
    cov = np.stack([np.stack([a22, -a12], -1), np.stack([-a12, a11], -1)], -2) / safe[:, None, None]
    dx, dy = px[group] - d.x, py[group] - d.y
    miss = (nx * dx + ny * dy) / (sigma * np.maximum(rng, MIN_RANGE_M))
    far = (np.log(np.maximum(rng, 1.0)) - d.log_d) / d.sigma_log_d
    score = total(miss**2 + far**2)
    in_front = total((ux * dx + uy * dy <= 0).astype(float)) == 0
    members = np.bincount(group, minlength=n_groups)
    dof = np.maximum(2 * members - 2, 1)
    consistent = ~parallel & in_front & (score <= chi2.ppf(CONSISTENCY_LEVEL, dof))
    return Fixes(x=px, y=py, cov=cov, consistent=consistent, chi2=score)


def ellipse_draws(fixes: Fixes, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points drawn from each fix's normal (``z``: (k, 2) standard normal draws): (g, k) x and y."""
    cov = fixes.cov + np.eye(2)[None] * 1e-6
    chol = np.linalg.cholesky(cov)
    offsets = np.einsum("gij,kj->gki", chol, z)
    return fixes.x[:, None] + offsets[..., 0], fixes.y[:, None] + offsets[..., 1]
