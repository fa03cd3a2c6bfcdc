"""The database half: SQLAlchemy Core tables, Alembic migrations, upserts with history, export."""
