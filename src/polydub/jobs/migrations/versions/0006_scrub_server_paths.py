"""failure messages and reports stored before paths were scrubbed lose their server paths

Clients read both through the API; rows written since are scrubbed when written
(errors.client_message, pipeline.report), this fixes the ones written before.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from polydub.server_paths import scrub_paths, scrub_strings

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# table -> its columns clients read that may hold paths
COLUMNS = {
    "translations": ("failure_message", "report"),
    "lipsyncs": ("failure_message", "report"),
    "proofreads": ("failure_message",),
}


def upgrade() -> None:
    connection = op.get_bind()
    for name, columns in COLUMNS.items():
        table = sa.table(
            name,
            sa.column("id", sa.String),
            sa.column("failure_message", sa.Text),
            sa.column("report", sa.JSON),
        )
        selected = [table.c.id, *(table.c[c] for c in columns)]
        # Streamed in slices: reports can be large, and there may be many of them.
        rows = connection.execute(sa.select(*selected).execution_options(yield_per=200))
        for row in rows:
            values = {}
            message = row.failure_message
            if message and scrub_paths(message) != message:
                values["failure_message"] = scrub_paths(message)
            report = getattr(row, "report", None)
            if report and scrub_strings(report) != report:
                values["report"] = scrub_strings(report)
            if values:
                connection.execute(sa.update(table).where(table.c.id == row.id).values(**values))


def downgrade() -> None:
    pass  # the paths are gone for good, and nothing needs them back
