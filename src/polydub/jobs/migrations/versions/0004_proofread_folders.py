"""proofreads keep their folder_id (the translation generated from one goes in its folder)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proofreads") as batch:
        batch.add_column(sa.Column("folder_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proofreads") as batch:
        batch.drop_column("folder_id")
