"""appointment: when it moved on (arrived, in service, delivered, no-show) and a status index

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STAMPS = ("arrived_at", "service_started_at", "delivered_at", "no_show_at")


def upgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        for name in STAMPS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_appointment_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_index(batch.f("ix_appointment_status"))
        for name in reversed(STAMPS):
            batch.drop_column(name)
