"""draft_work_order: when the customer agreed to the privacy notice (PIPL), and its version

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.add_column(sa.Column("privacy_consent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("privacy_notice_version", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_work_order") as batch:
        batch.drop_column("privacy_notice_version")
        batch.drop_column("privacy_consent_at")
