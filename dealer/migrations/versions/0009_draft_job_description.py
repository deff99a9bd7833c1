"""draft: what the visit is for in the customer's words, where no interview is run

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.add_column(sa.Column("job_description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.drop_column("job_description")
