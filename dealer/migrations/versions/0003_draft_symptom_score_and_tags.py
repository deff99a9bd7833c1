"""draft: symptom completeness score and part/symptom tags

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.add_column(sa.Column("symptom_completeness", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("symptom_tags", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.drop_column("symptom_tags")
        batch.drop_column("symptom_completeness")
