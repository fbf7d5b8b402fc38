"""Alembic environment: always run by core.migrate with the owner's connection."""

from alembic import context

from core.models import Base

# Objects that live outside the models on purpose: SQLite's FTS5 table (and its shadow tables)
# and PostgreSQL's expression index for text search, both made by the migrations.
_UNMODELLED = ("cases_fts", "ix_cases_search")


def _include_name(name, type_, _parent_names) -> bool:
    return not (name or "").startswith(_UNMODELLED)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=_include_name,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
