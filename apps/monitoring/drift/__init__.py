"""Behaviour drift: SQL aggregates (aggregates), scipy statistics (stats), per-metric
verdicts and sentences (metrics), and the fleet run that stores reports (check)."""
