"""webhook_endpoints: registered URLs with their own secrets and event filters; a delivery
names its destination (the job's callback_url or an endpoint)

The unique (entity_id, event_type) of webhook_deliveries becomes (entity_id, event_type,
destination): one event goes to several destinations, once each. Existing rows were all sent
to callback_urls.

Revision ID: 0010
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Names the unnamed constraint of 0003 on every backend, so batch mode can drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
OLD_UNIQUE = "uq_webhook_deliveries_entity_id_event_type"
NEW_UNIQUE = "uq_webhook_deliveries_event_destination"


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=True),
        sa.Column("entity_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.create_index("ix_webhook_endpoints_owner_id", ["owner_id"], unique=False)
        batch.create_index("ix_webhook_endpoints_created_at", ["created_at"], unique=False)
    _drop_old_unique()
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(
            sa.Column(
                "destination", sa.String(length=32), server_default="callback", nullable=False
            )
        )
        batch.create_index("ix_webhook_deliveries_destination", ["destination"], unique=False)
        batch.create_unique_constraint(NEW_UNIQUE, ["entity_id", "event_type", "destination"])


def _drop_old_unique() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL named it itself when 0003 created it.
        op.drop_constraint(
            "webhook_deliveries_entity_id_event_type_key", "webhook_deliveries", type_="unique"
        )
        return
    with op.batch_alter_table("webhook_deliveries", naming_convention=NAMING) as batch:
        batch.drop_constraint(OLD_UNIQUE, type_="unique")


def downgrade() -> None:
    # Deliveries to endpoints would break the old constraint; they go with their endpoints.
    op.execute("DELETE FROM webhook_deliveries WHERE destination <> 'callback'")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint(NEW_UNIQUE, type_="unique")
        batch.drop_index("ix_webhook_deliveries_destination")
        batch.drop_column("destination")
    with op.batch_alter_table("webhook_deliveries") as batch:
        if op.get_bind().dialect.name == "postgresql":
            batch.create_unique_constraint(
                "webhook_deliveries_entity_id_event_type_key", ["entity_id", "event_type"]
            )
        else:
            batch.create_unique_constraint(OLD_UNIQUE, ["entity_id", "event_type"])
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_index("ix_webhook_endpoints_created_at")
        batch.drop_index("ix_webhook_endpoints_owner_id")
    op.drop_table("webhook_endpoints")
