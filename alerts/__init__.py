"""Alerting: detect negative spikes, keep them in a persistent outbox, deliver them to people."""
