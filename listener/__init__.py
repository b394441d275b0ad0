"""social-listener: collect brand mentions, score their sentiment, alert on negative spikes."""

__version__ = "0.1.0"
