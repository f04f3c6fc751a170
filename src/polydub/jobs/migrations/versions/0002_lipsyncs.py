"""lipsyncs: jobs of the Lip Sync API

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lipsyncs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("folder_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("callback_id", sa.String(length=500), nullable=True),
        sa.Column("video_key", sa.String(length=500), nullable=True),
        sa.Column("srt_key", sa.String(length=500), nullable=True),
        sa.Column("vtt_key", sa.String(length=500), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["id"], ["batches.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lipsyncs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lipsyncs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lipsyncs_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lipsyncs_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lipsyncs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lipsyncs_status"))
        batch_op.drop_index(batch_op.f("ix_lipsyncs_owner_id"))
        batch_op.drop_index(batch_op.f("ix_lipsyncs_created_at"))
    op.drop_table("lipsyncs")
