"""Engine creation and schema migration.

SQLite is the zero-set-up default: WAL mode lets the dashboard read while the daemon writes, and
foreign keys are switched on because SQLite leaves them off. Any other SQLAlchemy URL works;
a bare `postgresql://` URL is pointed at psycopg 3, the driver the project installs.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from listener.core.redaction import redact

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (every head by default); safe to run on every start."""
    command.upgrade(alembic_config(engine), revision)


class StorageError(Exception):
    """The database cannot be opened; the message names it (without its password) and the cause."""


def schema_revision(engine: Engine) -> str | None:
    """The migration revision the database is at (heads joined by commas); None before any."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def open_database(url: str) -> Engine:
    """An engine on `url` with the schema migrated to the latest version."""
    return migrate_database(url)[0]


def migrate_database(url: str) -> tuple[Engine, str | None, str]:
    """Like open_database, and the revision before and after, so `listener db upgrade` can say
    whether it created the schema, migrated it or found it current."""
    try:
        engine = create_db_engine(url)
        before = schema_revision(engine)
        upgrade(engine)
        after = schema_revision(engine) or ""
    except (ArgumentError, NoSuchModuleError) as error:
        raise StorageError(redact(f"storage.url {url!r} is not a usable SQLAlchemy URL: {error}")) from None
    except DBAPIError as error:
        shown = make_url(normalise_url(url)).render_as_string(hide_password=True)
        cause = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StorageError(f"cannot open the database {shown}: {cause} (check storage.url)") from error
    return engine, before, after
