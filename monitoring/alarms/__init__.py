"""Alarms: rules, lifecycle, stale-sensor and ingestion checks, digests."""
