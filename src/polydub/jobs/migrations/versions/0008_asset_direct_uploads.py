"""assets uploaded straight to storage: a status, the declared checksum, their upload batch;
sizes as 64-bit integers (an upload of the 2 GiB limit overflowed PostgreSQL's integer)

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.alter_column("size", type_=sa.BigInteger(), existing_nullable=False)
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="completed")
        )
        batch.add_column(sa.Column("checksum_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("upload_batch_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("batch_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("failure", sa.JSON(), nullable=True))
        batch.create_index(batch.f("ix_assets_upload_batch_id"), ["upload_batch_id"])
    op.create_table(
        "asset_upload_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_upload_batches") as batch:
        batch.create_index(batch.f("ix_asset_upload_batches_owner_id"), ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("asset_upload_batches") as batch:
        batch.drop_index(batch.f("ix_asset_upload_batches_owner_id"))
    op.drop_table("asset_upload_batches")
    with op.batch_alter_table("assets") as batch:
        batch.drop_index(batch.f("ix_assets_upload_batch_id"))
        for column in ("failure", "batch_index", "upload_batch_id", "checksum_sha256", "status"):
            batch.drop_column(column)
        batch.alter_column("size", type_=sa.Integer(), existing_nullable=False)
