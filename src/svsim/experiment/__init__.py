"""Experiments: replications (and later executors, compare, sensitivity) over the engine."""

from .replications import ReplicationResult, replication_tasks, run_replication, run_replications, summarise

__all__ = ["ReplicationResult", "replication_tasks", "run_replication", "run_replications", "summarise"]
