"""Cheap Prometheus metrics for hot paths, correct across worker processes.

prometheus_client's multiprocess mode writes every increment through a locked memory map,
which costs more than a whole eligibility look-up's arithmetic. Here an increment is a dict
update; each worker publishes a snapshot of its values to a shared directory once a second
(and at shutdown), and ``/metrics`` sums the snapshots of every worker. Counters therefore lag
by at most the publish interval; gauges count only live workers (snapshots younger than
``LIVE_SECONDS``).

Output is the Prometheus text format 0.0.4.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LIVE_SECONDS = 10.0
DEFAULT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        self.values: dict[tuple[str, ...], Any] = {}

    def snapshot(self) -> list[list[Any]]:
        return [[list(k), v] for k, v in self.values.items()]


class Counter(_Metric):
    kind = "counter"

    def inc(self, labels: tuple[str, ...] = (), amount: float = 1) -> None:
        values = self.values
        values[labels] = values.get(labels, 0) + amount


class Gauge(_Metric):
    kind = "gauge"

    def set(self, value: float, labels: tuple[str, ...] = ()) -> None:
        self.values[labels] = value


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = tuple(sorted(buckets))

    def observe(self, value: float, labels: tuple[str, ...] = ()) -> None:
        data = self.values.get(labels)
        if data is None:
            # [count per bucket (non-cumulative) ..., +Inf bucket, sum]
            data = self.values[labels] = [0] * (len(self.buckets) + 1) + [0.0]
        data[bisect.bisect_left(self.buckets, value)] += 1
        data[-1] += value


class Registry:
    """A process's metrics, and the snapshot files of its sibling workers."""

    def __init__(self) -> None:
        self.metrics: dict[str, _Metric] = {}
        self.shared_dir: Path | None = None

    def _add(self, metric: _Metric) -> Any:
        existing = self.metrics.get(metric.name)
        if existing is not None:  # module re-import (tests): keep one series set
            return existing
        self.metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, help_text, labels))  # type: ignore[no-any-return]

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Gauge:
        return self._add(Gauge(name, help_text, labels))  # type: ignore[no-any-return]

    def histogram(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        return self._add(Histogram(name, help_text, labels, buckets))  # type: ignore[no-any-return]

    # --- sharing between worker processes ---

    def snapshot(self) -> dict[str, Any]:
        return {"at": time.time(), "metrics": {n: m.snapshot() for n, m in self.metrics.items()}}

    def publish(self) -> None:
        """Write this process's snapshot (atomically) if a shared directory is set."""
        if self.shared_dir is None:
            return
        path = self.shared_dir / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        with contextlib.suppress(OSError):
            tmp.write_bytes(orjson.dumps(self.snapshot()))
            os.replace(tmp, path)

    def _snapshots(self) -> list[dict[str, Any]]:
        if self.shared_dir is None:
            return [self.snapshot()]
        self.publish()  # our own values, fresh
        out = []
        for path in self.shared_dir.glob("*.json"):
            with contextlib.suppress(OSError, orjson.JSONDecodeError):
                out.append(orjson.loads(path.read_bytes()))
        return out

    def exposition(self) -> bytes:
        """All workers' metrics, summed, in the Prometheus text format."""
        now = time.time()
        merged: dict[str, dict[tuple[str, ...], Any]] = {n: {} for n in self.metrics}
        for snap in self._snapshots():
            live = now - float(snap.get("at", 0)) <= LIVE_SECONDS
            for name, series in snap.get("metrics", {}).items():
                metric = self.metrics.get(name)
                if metric is None or (metric.kind == "gauge" and not live):
                    continue
                target = merged[name]
                for labels, value in series:
                    key = tuple(labels)
                    if isinstance(value, list):
                        prev = target.get(key)
                        target[key] = (
                            list(value)
                            if prev is None
                            else [a + b for a, b in zip(prev, value, strict=True)]
                        )
                    else:
                        target[key] = target.get(key, 0) + value
        lines: list[str] = []
        for name, metric in self.metrics.items():
            lines.append(f"# HELP {name} {_escape_help(metric.help)}")
            lines.append(f"# TYPE {name} {metric.kind}")
            for key, value in sorted(merged[name].items()):
                lines.extend(_series(metric, key, value))
        return ("\n".join(lines) + "\n").encode("utf-8")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: Iterable[str], values: Iterable[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(str(v))}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _num(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(float(value))


def _series(metric: _Metric, key: tuple[str, ...], value: Any) -> list[str]:
    if not isinstance(metric, Histogram):
        return [f"{metric.name}{_labels(metric.labels, key)} {_num(value)}"]
    counts, total = value[:-1], value[-1]
    out = []
    running = 0
    for bound, count in zip((*metric.buckets, float("inf")), counts, strict=True):
        running += count
        le = f'le="{_num(bound)}"'
        out.append(f"{metric.name}_bucket{_labels(metric.labels, key, le)} {_num(running)}")
    out.append(f"{metric.name}_sum{_labels(metric.labels, key)} {_num(total)}")
    out.append(f"{metric.name}_count{_labels(metric.labels, key)} {_num(running)}")
    return out


#: The process-wide registry every module adds its metrics to.
REGISTRY = Registry()
