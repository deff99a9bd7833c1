"""followup_task: due reminders, 回访 and the worker's periodic jobs; customer.opted_out_at

Revision ID: 0007
Revises: 0006
"""
from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The worker's periodic jobs are rows like any due work, so two workers never run one twice
# at once; due at once on a new database (dealer/worker.py moves them on after each run).
JOBS = ("no_shows", "retention")


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
    task = op.create_table(
        "followup_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_via", sa.String(20), nullable=True),
        sa.Column("result", sa.String(20), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("complaint", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(60), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft_work_order.id"],
                                name=op.f("fk_followup_task_draft_id_draft_work_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_task")),
        sa.UniqueConstraint("key", name=op.f("uq_followup_task_key")),
    )
    op.create_index(op.f("ix_followup_task_state"), "followup_task", ["state"], unique=False)
    op.create_index(op.f("ix_followup_task_draft_id"), "followup_task", ["draft_id"], unique=False)
    op.create_index(op.f("ix_followup_task_due_at"), "followup_task", ["due_at"], unique=False)
    # What a claim reads: the pending rows due first.
    op.create_index("ix_followup_task_claim", "followup_task", ["state", "channel", "run_at"], unique=False)
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    op.bulk_insert(task, [
        {"key": f"job:{name}", "kind": name, "channel": "system", "state": "pending", "due_at": epoch,
         "run_at": epoch, "attempts": 0, "complaint": False, "created_at": epoch}
        for name in JOBS
    ])


def downgrade() -> None:
    op.drop_index("ix_followup_task_claim", table_name="followup_task")
    op.drop_index(op.f("ix_followup_task_due_at"), table_name="followup_task")
    op.drop_index(op.f("ix_followup_task_draft_id"), table_name="followup_task")
    op.drop_index(op.f("ix_followup_task_state"), table_name="followup_task")
    op.drop_table("followup_task")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("opted_out_at")
