"""Historical reports: queue and agent figures per 15 minutes, hour or day, and CSV.

Everything comes from the append-only call event log (docs/ARCHITECTURE.md, "Persistence"),
the same records the live core counts from, with the same definitions (`acd.metrics`), so
live and historical numbers agree. The folds (`QueueAggregator`, `AgentAggregator`, and the
`build_queue_report` / `build_agent_report` shortcuts) are pure; `ReportRepository` reads
the database in pages and feeds them; `to_csv` writes any report's rows.
"""

from callcenter.reports.agent_rows import AgentAggregator, build_agent_report
from callcenter.reports.buckets import Buckets
from callcenter.reports.export import to_csv
from callcenter.reports.queue_rows import QueueAggregator, build_queue_report
from callcenter.reports.repository import ReportRepository
from callcenter.reports.types import (
    AgentReport,
    AgentRow,
    Bucket,
    QueueReport,
    QueueRow,
    QueueRules,
    SurveyScore,
    rules_from_settings,
)

__all__ = [
    "AgentAggregator",
    "AgentReport",
    "AgentRow",
    "Bucket",
    "Buckets",
    "QueueAggregator",
    "QueueReport",
    "QueueRow",
    "QueueRules",
    "ReportRepository",
    "SurveyScore",
    "build_agent_report",
    "build_queue_report",
    "rules_from_settings",
    "to_csv",
]
