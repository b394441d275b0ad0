"""`listener serve` and `listener web`: the dashboard on its own, and its password hashes."""

from __future__ import annotations

import sys

import click

from listener.cli.common import config_option, load


@click.command()
@config_option
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8000).")
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the web dashboard and JSON API (without running the daemon)."""
    from listener.web.server import serve as serve_web

    serve_web(load(config_path), host, port)


@click.group()
def web() -> None:
    """Dashboard administration."""


@web.command("hash-password")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of prompting.")
def web_hash_password(password_stdin: bool) -> None:
    """Print an argon2 hash of a password, for [web] users in the config."""
    from listener.web.auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password is empty")
    click.echo(hash_password(password))
