"""Metrics of the eligibility feature (HTTP-level metrics live in shikaku.web.observability).

They use the cheap registry of :mod:`shikaku.metrics`, summed across worker processes.
"""

from __future__ import annotations

from shikaku.metrics import REGISTRY

ANSWERS = REGISTRY.counter(
    "shikaku_eligibility_answers_total",
    "Eligibility answers by channel and QualificationValidity code",
    ["channel", "validity"],
)
REFUSED = REGISTRY.counter(
    "shikaku_eligibility_refused_total",
    "Requests refused before answering, by reason",
    ["reason"],  # unauthenticated, forbidden, rate_limited, invalid
)
AUDIT_ROWS = REGISTRY.counter(
    "shikaku_eligibility_audit_rows_total", "Audit rows appended to the hash chain"
)
AUDIT_FLUSH = REGISTRY.histogram(
    "shikaku_eligibility_audit_flush_seconds",
    "Time to append one audit batch",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
AUDIT_PENDING = REGISTRY.gauge(
    "shikaku_eligibility_audit_pending", "Audit rows queued in memory, not yet written"
)


_ANSWER_LABELS: dict[tuple[str, int], tuple[str, str]] = {}


def count_answer(channel: str, validity: int) -> None:
    labels = _ANSWER_LABELS.get((channel, validity))
    if labels is None:
        labels = _ANSWER_LABELS[(channel, validity)] = (str(channel), str(int(validity)))
    ANSWERS.inc(labels)


def count_refused(reason: str) -> None:
    REFUSED.inc((reason,))


def on_audit_flush(rows: int, seconds: float) -> None:
    AUDIT_ROWS.inc(amount=rows)
    AUDIT_FLUSH.observe(seconds)
