"""The web dashboard and JSON API: `create_app` builds it, `listener.web.server` runs it."""

from listener.web.app import create_app

__all__ = ["create_app"]
