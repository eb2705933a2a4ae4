"""Early-warning detectors: pure statistics (numpy/scipy, h3), no Django.

Four detectors, each a function of plain arrays or tuples, so the scan (``insight.scan``),
the benchmark (``bench/warning.py``) and the tests call the same code:

``fit_baselines`` / ``assess_windows`` / ``detect_spikes``
    Count anomalies per (area, category) series. A negative-binomial log-linear model of
    the daily counts, fitted by iteratively reweighted least squares on the series' own
    history before the window, with day-of-week effects, an annual season (two Fourier
    harmonics) and a linear trend; past outbreaks are down-weighted Farrington-style and
    the trend is kept only when significant. The expected count of the window (the last
    3 or 7 days) is the sum of the fitted daily means; its spread combines the NB
    over-dispersion with the uncertainty of the fitted coefficients. An alarm is raised
    when the observed count is above the upper ``quantile`` (99.5 %) of that distribution
    and at least ``min_count``. Many series sharing the same days are fitted at once
    (batched IRLS): the design matrix is shared, only the weights differ.
``detect_clusters``
    Space-time clusters: H3 cells whose reports in a short window, summed over a disk of
    neighbouring cells (``h3.grid_disk``), are far above the cells' baseline; the
    p-value is Bonferroni-corrected for the number of disks tried, and overlapping
    significant disks are merged into one cluster of the cells that hold reports.
``detect_repeats``
    The same reporter (phone blind index / account) or the same address reporting again
    and again within N days.
``assess_sensor``
    A device repeatedly past its threshold without an open case, a rising series that
    will cross the threshold soon (Theil–Sen slope, Mann–Kendall test), or a device whose
    excursions keep coming back after their cases were closed.

The method and its parameters are described in docs/development/early-warning.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from scipy import stats

# Severity names (the same strings as insight's Alert.severity).
INFO = "info"
WARNING = "warning"
CRITICAL = "critical"

YEAR = 365.25
# A history shorter than this fits no season (it cannot be told from a trend): the
# "local" model uses the last LOCAL_DAYS days with day-of-week and trend only.
SEASON_MIN_DAYS = 365
LOCAL_DAYS = 84
# A series with fewer counts than this in its history gets the "sparse" model: a
# smoothed mean rate, Poisson.
SPARSE_MIN_TOTAL = 20
HARMONICS = 2
# Farrington's cut-off for down-weighting past outbreaks (standardised residual).
REWEIGHT_AT = 2.58
TREND_Z = 2.0
IRLS_STEPS = 12
MAX_HISTORY_DAYS = 5 * 365


@dataclass(frozen=True)
class SpikeConfig:
    """Parameters of the count detector (defaults used by the scan and the benchmark)."""

    quantile: float = 0.995
    min_count: int = 5
    critical_p: float = 1e-6
    harmonics: int = HARMONICS


# --------------------------------------------------------------------------------------
# Design matrix


def _ordinals(first_day: date | int, length: int) -> np.ndarray:
    start = first_day.toordinal() if isinstance(first_day, date) else int(first_day)
    return np.arange(start, start + length, dtype=np.int64)


def _features(ordinals: np.ndarray, trend_origin: int, harmonics: int) -> np.ndarray:
    """Columns: intercept, trend (years from ``trend_origin``), 6 weekday dummies
    (Monday is the reference), ``2 * harmonics`` annual Fourier terms (calendar based)."""
    n = len(ordinals)
    columns = [np.ones(n), (ordinals - trend_origin) / YEAR]
    weekday = (ordinals - 1) % 7  # date.fromordinal(1) is a Monday
    for d in range(1, 7):
        columns.append((weekday == d).astype(float))
    angle = 2 * np.pi * (ordinals % YEAR) / YEAR
    for k in range(1, harmonics + 1):
        columns.append(np.sin(k * angle))
        columns.append(np.cos(k * angle))
    return np.column_stack(columns)


TREND_COL = 1
SEASON_COLS_FROM = 8


# --------------------------------------------------------------------------------------
# Batched negative-binomial IRLS


def _nb_alpha(y: np.ndarray, mu: np.ndarray, w: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Moment estimate of the NB2 dispersion α (Var = μ + αμ²) per series: the α at which
    the weighted Pearson statistic equals its degrees of freedom; 0 when the data are
    not over-dispersed."""
    resid2 = (y - mu) ** 2

    def pearson(alpha: np.ndarray) -> np.ndarray:
        return (w * resid2 / (mu + alpha[:, None] * mu**2)).sum(axis=1) - dof

    lo = np.zeros(len(y))
    hi = np.full(len(y), 50.0)
    over = pearson(lo) > 0
    for _step in range(40):
        mid = (lo + hi) / 2
        up = pearson(mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.where(over, (lo + hi) / 2, 0.0)


def _irls(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    alpha: np.ndarray,
    penalty: np.ndarray,
    beta: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit log μ = Xβ for every row of ``y`` (S, T) with prior weights ``w`` and NB
    dispersion ``alpha`` (S,). ``penalty`` (S, p) is a ridge per coefficient: tiny for
    the free ones, huge for the ones a series does not use. Returns β (S, p), μ (S, T)
    and the covariance of β (S, p, p)."""
    s, p = y.shape[0], x.shape[1]
    if beta is None:
        beta = np.zeros((s, p))
        beta[:, 0] = np.log(np.maximum((w * y).sum(1) / np.maximum(w.sum(1), 1e-9), 1e-3))
    eye = np.eye(p)
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)  # one row per day
    info = np.zeros((s, p, p))
    for _step in range(IRLS_STEPS):
        eta = np.clip(beta @ x.T, -15.0, 12.0)
        mu = np.exp(eta)
        work = w * mu / (1.0 + alpha[:, None] * mu)
        z = eta + (y - mu) / mu
        info = (work @ outer).reshape(s, p, p)  # X'WX of every series in one product
        info += penalty[:, :, None] * eye
        rhs = (work * z) @ x
        new = np.linalg.solve(info, rhs[:, :, None])[:, :, 0]
        done = np.max(np.abs(new - beta)) < 1e-4
        beta = new
        if done:
            break
    mu = np.exp(np.clip(beta @ x.T, -15.0, 12.0))
    return beta, mu, np.linalg.inv(info)


@dataclass
class Baselines:
    """Fitted baselines of S series; ``predict`` gives daily means for later days."""

    beta: np.ndarray  # (S, p)
    cov: np.ndarray  # (S, p, p)
    alpha: np.ndarray  # (S,) NB dispersion, Var = μ + αμ²
    model: np.ndarray  # (S,) "seasonal" | "local" | "sparse"
    trend_origin: int
    harmonics: int
    sparse_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (S,)

    def predict(self, ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Daily means (S, D) for ``ordinals`` and the design rows used (D, p)."""
        x = _features(np.asarray(ordinals), self.trend_origin, self.harmonics)
        mu = np.exp(np.clip(self.beta @ x.T, -15.0, 12.0))
        sparse = self.model == "sparse"
        if sparse.any():
            mu[sparse] = self.sparse_rate[sparse, None]
        return mu, x


def fit_baselines(
    counts: np.ndarray,
    first_day: date | int,
    *,
    harmonics: int = HARMONICS,
    start: Baselines | None = None,
) -> Baselines:
    """Fit one baseline per row of ``counts`` (S series × T days from ``first_day``; use
    NaN for days a series did not exist). Everything given is history: leave the window
    under test out. ``start``: an earlier fit of the same series to start from."""
    y_all = np.atleast_2d(np.asarray(counts, dtype=float))
    if y_all.shape[1] > MAX_HISTORY_DAYS:
        shift = y_all.shape[1] - MAX_HISTORY_DAYS
        y_all = y_all[:, shift:]
        first_day = _ordinals(first_day, shift + 1)[-1]
    s, t = y_all.shape
    ordinals = _ordinals(first_day, t)
    origin = int(ordinals[-1]) if t else 0
    x = _features(ordinals, origin, harmonics)
    p = x.shape[1]
    present = ~np.isnan(y_all)
    y = np.where(present, y_all, 0.0)
    span = present.sum(1)
    total = y.sum(1)

    seasonal = span >= SEASON_MIN_DAYS
    # the local model only looks at the last LOCAL_DAYS days
    w = present.astype(float)
    local_rows = ~seasonal
    if local_rows.any() and t > LOCAL_DAYS:
        w[local_rows, : t - LOCAL_DAYS] = 0.0
    recent_total = (w * y).sum(1)
    sparse = (recent_total < SPARSE_MIN_TOTAL) | (w.sum(1) < 28)
    model = np.where(sparse, "sparse", np.where(seasonal, "seasonal", "local"))

    penalty = np.full((s, p), 1e-6)
    penalty[~seasonal, SEASON_COLS_FROM:] = 1e8
    # rows that are sparse are fitted too (cheaply) but replaced by their rate below
    dof = np.maximum(w.sum(1) - (penalty < 1).sum(1), 1.0)
    if start is not None and start.beta.shape == (s, p) and start.harmonics == harmonics:
        # warm start from an earlier fit of the same series (the benchmark refits weekly)
        beta = start.beta.copy()
        beta[:, 0] += beta[:, TREND_COL] * (origin - start.trend_origin) / YEAR
        alpha = start.alpha.copy()
    else:
        beta, mu, cov = _irls(x, y, w, np.zeros(s), penalty)
        alpha = _nb_alpha(y, mu, w, dof)
    beta, mu, cov = _irls(x, y, w, alpha, penalty, beta)
    # Farrington: down-weight days far above the fit (past outbreaks), refit.
    resid = (y - mu) / np.sqrt(mu + alpha[:, None] * mu**2)
    w = w * np.where(resid > REWEIGHT_AT, (REWEIGHT_AT / np.maximum(resid, 1e-9)) ** 2, 1.0)
    alpha = _nb_alpha(y, mu, w, dof)
    beta, mu, cov = _irls(x, y, w, alpha, penalty, beta)
    # Keep the trend only where it is significant.
    z = beta[:, TREND_COL] / np.sqrt(np.maximum(cov[:, TREND_COL, TREND_COL], 1e-12))
    flat = np.abs(z) < TREND_Z
    if flat.any():
        penalty[flat, TREND_COL] = 1e8
        beta, mu, cov = _irls(x, y, w, alpha, penalty, beta)
        dof = np.maximum(w.sum(1) - (penalty < 1).sum(1), 1.0)
        alpha = _nb_alpha(y, mu, w, dof)
    # Sparse series: a smoothed mean rate (half a count added), Poisson.
    days = np.maximum(present.sum(1), 1)
    sparse_rate = (total + 0.5) / (days + 1.0)
    alpha = np.where(sparse, 0.0, alpha)
    cov[sparse] = 0.0
    return Baselines(
        beta=beta,
        cov=cov,
        alpha=alpha,
        model=model,
        trend_origin=origin,
        harmonics=harmonics,
        sparse_rate=sparse_rate,
    )


# --------------------------------------------------------------------------------------
# Window test


@dataclass(frozen=True)
class SpikeResults:
    """One window per series, as arrays of length S."""

    observed: np.ndarray
    expected: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray
    score: np.ndarray  # (observed − expected) / (upper − expected); > 1 above the bound
    alarm: np.ndarray
    severity: np.ndarray  # "" | WARNING | CRITICAL
    model: np.ndarray

    def __len__(self) -> int:
        return len(self.observed)


def _nb_params(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, p) of scipy's nbinom with this mean and variance (≈ Poisson when var ≤ mean)."""
    mean = np.maximum(mean, 1e-9)
    extra = np.maximum(var - mean, mean * 1e-6)
    n = mean**2 / extra
    return n, n / (n + mean)


def window_distribution(
    fit: Baselines, ordinals: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Expected count and variance of the sum over ``ordinals`` (the window's days) for
    each series (or the ``rows`` given): NB variance of each day plus the uncertainty of
    the fitted coefficients (delta method on log of the sum)."""
    mu, x = fit.predict(ordinals)
    beta_cov, alpha = fit.cov, fit.alpha
    if rows is not None:
        mu, beta_cov, alpha = mu[rows], beta_cov[rows], alpha[rows]
    expected = mu.sum(1)
    noise = (mu + alpha[:, None] * mu**2).sum(1)
    grad = (mu @ x) / np.maximum(expected, 1e-12)[:, None]  # d log E / d β
    param = np.einsum("sp,spq,sq->s", grad, beta_cov, grad)
    return expected, noise + expected**2 * np.minimum(param, 4.0)


def assess_windows(
    observed: np.ndarray,
    expected: np.ndarray,
    variance: np.ndarray,
    model: np.ndarray,
    config: SpikeConfig | None = None,
) -> SpikeResults:
    """Compare observed window counts with their predicted NB distribution."""
    config = config or SpikeConfig()
    observed = np.asarray(observed, dtype=float)
    n, prob = _nb_params(np.asarray(expected, float), np.asarray(variance, float))
    upper = stats.nbinom.ppf(config.quantile, n, prob)
    p_value = stats.nbinom.sf(observed - 1, n, prob)
    score = (observed - expected) / np.maximum(upper - expected, 1e-9)
    alarm = (observed > upper) & (observed >= config.min_count)
    severity = np.where(
        alarm,
        np.where(
            (p_value < config.critical_p) & (observed >= 2 * config.min_count), CRITICAL, WARNING
        ),
        "",
    )
    return SpikeResults(
        observed=observed,
        expected=np.asarray(expected, float),
        upper=upper,
        p_value=p_value,
        score=score,
        alarm=alarm,
        severity=severity,
        model=np.asarray(model),
    )


def detect_spikes(
    counts: np.ndarray,
    first_day: date | int,
    *,
    window: int = 3,
    config: SpikeConfig | None = None,
) -> SpikeResults:
    """Test the last ``window`` days of every series in ``counts`` (S × T daily counts
    from ``first_day``) against a baseline fitted on the days before them."""
    config = config or SpikeConfig()
    y = np.atleast_2d(np.asarray(counts, dtype=float))
    if y.shape[1] <= window:
        raise ValueError("a series needs history before the window")
    fit = fit_baselines(y[:, :-window], first_day, harmonics=config.harmonics)
    ordinals = _ordinals(first_day, y.shape[1])[-window:]
    expected, variance = window_distribution(fit, ordinals)
    observed = np.nansum(y[:, -window:], axis=1)
    return assess_windows(observed, expected, variance, fit.model, config)


# --------------------------------------------------------------------------------------
# Space-time clusters


@dataclass(frozen=True)
class Cluster:
    center: str
    cells: tuple[str, ...]
    observed: int
    expected: float
    p_value: float  # corrected for the number of disks tried
    severity: str


def smoothed_rates(
    history: Mapping[str, float], days: float, *, prior_days: float = 30.0
) -> dict[str, float]:
    """Daily rate per cell from ``history`` (cell → count over ``days``), shrunk towards
    the mean rate of all cells given (an empirical-Bayes prior worth ``prior_days``), so a
    cell with no history still has a small, non-zero baseline."""
    if not history or days <= 0:
        return {}
    mean = sum(history.values()) / (len(history) * days)
    return {c: (n + prior_days * mean) / (days + prior_days) for c, n in history.items()}


def detect_clusters(
    observed: Mapping[str, int],
    expected: Mapping[str, float],
    *,
    default_expected: float,
    k_ring: int = 1,
    alpha: float = 0.001,
    min_count: int = 8,
    min_ratio: float = 3.0,
    critical_p: float = 1e-8,
) -> list[Cluster]:
    """Clusters of ``observed`` reports (H3 cell → count in the window) far above
    ``expected`` (cell → expected count in the window; ``default_expected`` for cells not
    listed). Every disk of radius 0..``k_ring`` around a cell with reports is a
    candidate; a candidate is significant when its Poisson p-value times the number of
    candidates is below ``alpha``, it holds at least ``min_count`` reports and at least
    ``min_ratio`` times its expectation. Significant disks that overlap are merged into
    one cluster (the most significant one's centre), made of their cells with reports."""
    import h3

    candidates: list[tuple[float, str, tuple[str, ...], int, float]] = []
    for center in observed:
        if observed[center] <= 0:
            continue
        for k in range(k_ring + 1):
            cells = tuple(sorted(h3.grid_disk(center, k)))
            obs = sum(observed.get(c, 0) for c in cells)
            exp = sum(expected.get(c, default_expected) for c in cells)
            exp = max(exp, 1e-6)
            if obs < min_count or obs < min_ratio * exp:
                candidates.append((1.0, center, cells, obs, exp))
                continue
            p = float(stats.poisson.sf(obs - 1, exp))
            candidates.append((p, center, cells, obs, exp))
    tried = max(len(candidates), 1)
    # significant disks, most significant first; overlapping ones merge into one cluster
    # made of their cells that hold reports
    groups: list[tuple[float, str, set[str]]] = []
    for p, center, cells, _obs, _exp in sorted(candidates, key=lambda c: (c[0], -c[3])):
        corrected = min(1.0, p * tried)
        if corrected >= alpha:
            break
        busy = {c for c in cells if observed.get(c, 0) > 0}
        for i, (best_p, best_center, members) in enumerate(groups):
            if members & busy or set(cells) & members:
                groups[i] = (best_p, best_center, members | busy)
                break
        else:
            groups.append((corrected, center, busy))
    clusters = []
    for _p, center, members in groups:
        cells = tuple(sorted(members))
        obs = sum(observed.get(c, 0) for c in cells)
        exp = max(sum(expected.get(c, default_expected) for c in cells), 1e-6)
        corrected = min(1.0, float(stats.poisson.sf(obs - 1, exp)) * tried)
        severity = CRITICAL if corrected < critical_p and obs >= 2 * min_count else WARNING
        clusters.append(Cluster(center, cells, obs, exp, corrected, severity))
    return clusters


# --------------------------------------------------------------------------------------
# Repeated reports


@dataclass(frozen=True)
class Repeat:
    key: Hashable
    count: int
    first: date | datetime
    last: date | datetime
    items: tuple[Hashable, ...]
    severity: str


def detect_repeats(
    events: Iterable[tuple[Hashable, date | datetime, Hashable]],
    *,
    min_count: int = 3,
    warning_count: int = 5,
    critical_count: int = 10,
) -> list[Repeat]:
    """Keys (a reporter's phone blind index, an address) with at least ``min_count``
    events among ``events`` = (key, when, item id); the caller passes only the window's
    events. Empty keys are ignored. Most frequent first."""
    groups: dict[Hashable, list[tuple[date | datetime, Hashable]]] = defaultdict(list)
    for key, when, item in events:
        if key in (None, ""):
            continue
        groups[key].append((when, item))
    found = []
    for key, rows in groups.items():
        if len(rows) < min_count:
            continue
        rows.sort(key=lambda r: r[0])
        n = len(rows)
        severity = CRITICAL if n >= critical_count else WARNING if n >= warning_count else INFO
        found.append(Repeat(key, n, rows[0][0], rows[-1][0], tuple(r[1] for r in rows), severity))
    found.sort(key=lambda r: (-r.count, str(r.key)))
    return found


def normalise_address(address: str) -> str:
    """An address as a grouping key: no spaces or punctuation, lower case; empty when too
    short to name a place (a street name alone groups unrelated reports)."""
    kept = "".join(ch for ch in address.lower() if ch.isalnum())
    return kept if len(kept) >= 6 else ""


# --------------------------------------------------------------------------------------
# Sensors


@dataclass(frozen=True)
class SensorAssessment:
    reason: str  # "" | "repeated" | "rising" | "recurring"
    severity: str
    over_count: int
    slope_per_hour: float
    hours_to_threshold: float | None
    last_value: float | None


def assess_sensor(
    times: Sequence[datetime],
    values: Sequence[float],
    *,
    threshold: float,
    above: bool = True,
    has_open_case: bool = False,
    excursions: int = 0,
    recur_min: int = 3,
    repeat_min: int = 3,
    horizon_hours: float = 24.0,
    trend_p: float = 0.01,
    min_points: int = 6,
) -> SensorAssessment:
    """Readings of one device in the scan window (oldest first). ``repeated``: at least
    ``repeat_min`` readings past the threshold and no open case to show for it.
    ``rising``: the latest reading is not past the threshold yet, the series moves
    towards it (Mann–Kendall on Kendall's τ, p < ``trend_p``) and its Theil–Sen line
    crosses it within ``horizon_hours``. ``recurring``: the device opened at least
    ``recur_min`` separate excursion cases recently (``excursions``, counted by the
    caller): each was closed, the cause was not fixed."""
    n = len(values)
    if n == 0:
        if excursions >= recur_min:
            severity = CRITICAL if excursions >= 2 * recur_min else WARNING
            return SensorAssessment("recurring", severity, 0, 0.0, None, None)
        return SensorAssessment("", "", 0, 0.0, None, None)
    v = np.asarray(values, dtype=float)
    sign = 1.0 if above else -1.0
    past = sign * (v - threshold) > 0
    over_count = int(past.sum())
    last = float(v[-1])
    hours = np.array([(t - times[0]).total_seconds() / 3600 for t in times])
    slope = 0.0
    if n >= 2 and np.ptp(hours) > 0:
        slope = float(stats.theilslopes(v, hours)[0])
    if over_count >= repeat_min and not has_open_case:
        severity = CRITICAL if over_count >= 2 * repeat_min else WARNING
        return SensorAssessment("repeated", severity, over_count, slope, 0.0, last)
    if n >= min_points and not past[-1] and sign * slope > 0:
        tau, p = stats.kendalltau(hours, v)
        if sign * tau > 0 and p / 2 < trend_p:  # one-sided
            eta = (threshold - last) / slope
            if 0 <= eta <= horizon_hours:
                severity = WARNING if eta <= horizon_hours / 4 else INFO
                return SensorAssessment("rising", severity, over_count, slope, float(eta), last)
    if excursions >= recur_min:
        severity = CRITICAL if excursions >= 2 * recur_min else WARNING
        return SensorAssessment("recurring", severity, over_count, slope, None, last)
    return SensorAssessment("", "", over_count, slope, None, last)


def finite(value: float) -> float | None:
    """JSON-safe float (None for NaN/inf)."""
    return value if math.isfinite(value) else None
