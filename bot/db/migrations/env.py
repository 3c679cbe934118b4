"""Alembic environment: migrates the app database named in the settings."""

from __future__ import annotations

from alembic import context

import bot.db.all_models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base
from bot.db.engine import create_engine_for

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("Alembic needs sqlalchemy.url; run it through `maraude db`.")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine_for(url)
    with engine.connect() as connection:
        # Batch mode lets ALTER TABLE work on SQLite too.
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
