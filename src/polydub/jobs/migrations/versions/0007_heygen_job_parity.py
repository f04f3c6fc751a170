"""translations keep their dubbed audio track and translate_audio_only; proofreads their
source language; HeyGen's batch resource (job_batches and their items)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("translations") as batch:
        batch.add_column(sa.Column("audio_key", sa.String(length=500), nullable=True))
        batch.add_column(
            sa.Column(
                "translate_audio_only", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("proofreads") as batch:
        batch.add_column(sa.Column("input_language", sa.String(length=64), nullable=True))
    op.create_table(
        "job_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_batches_owner_id", "job_batches", ["owner_id"])
    op.create_table(
        "job_batch_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("payload_index", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["job_batches.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "item_index"),
    )
    op.create_index("ix_job_batch_items_batch_id", "job_batch_items", ["batch_id"])
    op.create_index("ix_job_batch_items_job_id", "job_batch_items", ["job_id"])


def downgrade() -> None:
    op.drop_table("job_batch_items")
    op.drop_table("job_batches")
    with op.batch_alter_table("proofreads") as batch:
        batch.drop_column("input_language")
    with op.batch_alter_table("translations") as batch:
        batch.drop_column("translate_audio_only")
        batch.drop_column("audio_key")
