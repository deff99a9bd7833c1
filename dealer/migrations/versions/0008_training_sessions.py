"""training_session, training_line: the phone-script trainer's role plays (issue 13)

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(40), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_done", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("order_ok", sa.Boolean(), nullable=True),
        sa.Column("scorecard", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_training_session_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_session")),
    )
    op.create_index(op.f("ix_training_session_user_id"), "training_session", ["user_id"], unique=False)
    op.create_table(
        "training_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["training_session.id"],
                                name=op.f("fk_training_line_session_id_training_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_line")),
        sa.UniqueConstraint("session_id", "position", name=op.f("uq_training_line_session_id")),
    )
    op.create_index(op.f("ix_training_line_session_id"), "training_line", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_training_line_session_id"), table_name="training_line")
    op.drop_table("training_line")
    op.drop_index(op.f("ix_training_session_user_id"), table_name="training_session")
    op.drop_table("training_session")
