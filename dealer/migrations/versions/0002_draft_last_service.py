"""draft: the customer's last service, in their words

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.add_column(sa.Column("last_service", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.drop_column("last_service")
