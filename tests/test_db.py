"""Opening a database: an up-to-date one without alembic, an older one migrated to the newest revision."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from sqlalchemy import create_engine, text

from archive.db import HEADS, _alembic_config, migrate, open_database, upgrade_to


def test_the_heads_the_fast_path_knows_are_the_migrations_newest() -> None:
    """archive/db.py HEADS must name the newest migrations: update it with every new migration."""
    from alembic.script import ScriptDirectory

    assert set(ScriptDirectory.from_config(_alembic_config()).get_heads()) == HEADS


def test_an_up_to_date_database_is_opened_without_importing_alembic(backend: str, new_database_url: Any) -> None:
    url = new_database_url(backend)
    open_database(url)  # created and migrated
    probe = f"import sys; from archive.db import open_database; open_database({url!r}); print('alembic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr


def test_a_database_at_an_older_revision_is_brought_to_the_newest(backend: str, new_database_url: Any) -> None:

    url = new_database_url(backend)
    engine = create_engine(url)
    with engine.begin() as connection:
        upgrade_to(connection, "0012_extraction_memos")
    migrate(engine)
    with engine.connect() as connection:
        assert {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))} == HEADS
        connection.execute(text("SELECT capture_id, position, url FROM capture_requisites"))
