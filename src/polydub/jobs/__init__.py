"""Job store (SQLAlchemy: SQLite by default, PostgreSQL at scale), executors, webhooks."""
