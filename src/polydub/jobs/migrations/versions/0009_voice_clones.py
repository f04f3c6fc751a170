"""voice_clones: voices cloned from a recording (the Voices API)

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_clones",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("preview_key", sa.String(length=500), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["id"], ["batches.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("voice_clones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voice_clones_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voice_clones_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voice_clones_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voice_clones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voice_clones_status"))
        batch_op.drop_index(batch_op.f("ix_voice_clones_owner_id"))
        batch_op.drop_index(batch_op.f("ix_voice_clones_created_at"))
    op.drop_table("voice_clones")
