"""The settings of the pattern statistics, checked once when they are made."""

from __future__ import annotations

from dataclasses import dataclass

from geo.errors import InputError

NO_SECTOR = "(no sector)"


@dataclass(frozen=True)
class PatternParams:
    """Every setting of :func:`geo.patterns.find_patterns`; docs/METHOD.md ("Patterns") says why each default.

    Attributes
    ----------
    alpha
        Significance level of surges (after the false-discovery-rate correction across sector-days)
        and of space-time clusters (after the scan's own correction for the many cylinders tried).
    baseline_days, min_baseline_days
        The trailing window of the daily baseline and the fewest earlier days a day needs to be tested.
    baseline_exclude_p
        Days whose upper-tail p-value is below this are left out of later baselines, so that the
        first day of a surge does not raise the baseline of the next.
    overdispersion_p
        The trailing window is tested for overdispersion (variance above the mean); below this
        p-value the negative binomial replaces the Poisson.
    acled_weeks, acled_ratio, acled_min_count
        The ACLED-style rule: the 7 days ending on a day hold at least ``acled_ratio`` times the mean
        of the ``acled_weeks`` weeks before them, and at least ``acled_min_count`` reports.
    recent_days
        Hourly counts are given for this many last days of the data.
    resolution, hotspot_ring, permutations
        H3 resolution of the hotspot grid; how many rings of empty cells around the reports belong to
        the study area; permutations of Gi*'s conditional randomisation.
    scan_resolution, scan_rings, scan_max_days, scan_permutations, min_cluster_size, max_clusters
        The space-time scan: H3 resolution of its cells, the largest disk (rings around a centre cell),
        the longest time window (days), the Monte Carlo replicates, the fewest reports a cluster may
        hold, and how many non-overlapping clusters are reported (per block).
    coverage_gap_days
        A sector's days are *covered* (the data says something about them) when they lie within a
        run of its report days no more than this far apart; a longer silence is unknown, not zero.
    profile_bins_km
        Edges of the distance-to-line histogram (a last bin takes everything beyond).
    seed
        Seed of every random draw (Gi* permutations and the scan's replicates).
    """

    alpha: float = 0.05
    baseline_days: int = 14
    min_baseline_days: int = 7
    baseline_exclude_p: float = 0.001
    overdispersion_p: float = 0.05
    acled_weeks: int = 4
    acled_ratio: float = 2.0
    acled_min_count: int = 5
    recent_days: int = 2
    resolution: int = 6
    hotspot_ring: int = 0
    permutations: int = 999
    scan_resolution: int = 7
    scan_rings: int = 2
    scan_max_days: int = 7
    scan_permutations: int = 99
    min_cluster_size: int = 5
    max_clusters: int = 20
    coverage_gap_days: int = 7
    profile_bins_km: tuple[float, ...] = (0, 1, 2, 5, 10, 20, 50)
    seed: int = 20261001

    def __post_init__(self) -> None:
        checks = (
            (0 < self.alpha < 1, "alpha", "a level between 0 and 1, such as 0.05"),
            (
                1 <= self.min_baseline_days <= self.baseline_days,
                "min_baseline_days",
                "1 <= min_baseline_days <= baseline_days",
            ),
            (0 <= self.baseline_exclude_p < 1, "baseline_exclude_p", "a p-value below 1, such as 0.001"),
            (0 < self.overdispersion_p < 1, "overdispersion_p", "a p-value between 0 and 1"),
            (
                self.acled_weeks >= 1 and self.acled_ratio > 1,
                "acled_weeks/acled_ratio",
                "at least 1 week and a ratio above 1",
            ),
            (self.recent_days >= 1, "recent_days", "1 or more"),
            (0 <= self.resolution <= 15, "resolution", "an H3 resolution from 0 to 15"),
            (0 <= self.scan_resolution <= 15, "scan_resolution", "an H3 resolution from 0 to 15"),
            (self.hotspot_ring >= 0 and self.scan_rings >= 0, "hotspot_ring/scan_rings", "0 or more rings"),
            (self.permutations >= 0, "permutations", "0 (analytic only) or more, such as 999"),
            (self.scan_permutations >= 19, "scan_permutations", "at least 19 (so a p-value can reach 0.05)"),
            (1 <= self.scan_max_days <= 28, "scan_max_days", "at most 28 days (the shortest month)"),
            (self.coverage_gap_days >= 1, "coverage_gap_days", "1 or more days"),
            (
                self.min_cluster_size >= 2 and self.max_clusters >= 1,
                "min_cluster_size/max_clusters",
                "at least 2 reports and 1 cluster",
            ),
            (
                list(self.profile_bins_km) == sorted(set(self.profile_bins_km)),
                "profile_bins_km",
                "increasing edges in km",
            ),
        )
        for ok, name, fix in checks:
            if not ok:
                value = ", ".join(f"{n}={getattr(self, n)!r}" for n in name.split("/"))
                msg = f"The pattern setting {value} is out of range."
                raise InputError(msg, hint=f"Use {fix}.")
