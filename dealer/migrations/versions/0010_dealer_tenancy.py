"""tenancy (issue 14): a dealer table, every row belongs to a dealer

Adds ``dealer`` (code, name) and ``staff_user_dealer`` (the dealers a group manager
sees), and a non-null ``dealer_id`` on every customer, vehicle, advisor, staff user,
service type, maintenance price, opening hours, capacity slot, draft, appointment,
follow-up task, audit row and training session. Existing rows go to one dealer made
here: the default dealer file's (``dealer.code`` of DealerSettings.catalog_path, ``demo``
when it cannot be read). Uniqueness that was global becomes per dealer: a customer's
phone, a car's plate and VIN, an advisor's code, a slot's start; the reference tables'
keys become (dealer_id, code|weekday). Usernames and idempotency keys stay global.

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# table -> (index dealer_id?, [(old unique name, old columns)], [(new unique name, columns)])
SCOPED = {
    "customer": (False, [("uq_customer_phone", ["phone"])], [("uq_customer_dealer_phone", ["dealer_id", "phone"])]),
    "vehicle": (False, [("uq_vehicle_plate", ["plate"]), ("uq_vehicle_vin", ["vin"])],
                [("uq_vehicle_dealer_plate", ["dealer_id", "plate"]), ("uq_vehicle_dealer_vin", ["dealer_id", "vin"])]),
    "advisor": (False, [("uq_advisor_code", ["code"])], [("uq_advisor_dealer_code", ["dealer_id", "code"])]),
    "staff_user": (True, [], []),
    "capacity_slot": (False, [("uq_capacity_slot_start_at", ["start_at"])],
                      [("uq_capacity_slot_dealer_start", ["dealer_id", "start_at"])]),
    "draft_work_order": (True, [], []),
    "appointment": (True, [], []),
    "followup_task": (True, [], []),
    "audit_log": (True, [], []),
    "training_session": (True, [], []),
}
# Reference tables keyed by their natural key: the key becomes (dealer_id, key).
KEYED = {"service_type": ["code"], "maintenance_price": ["code"], "opening_hours": ["weekday"]}

AUDIT_GUARD_SQLITE = """
CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""


def _default_dealer() -> tuple[str, str]:
    try:
        from dealer.catalog import load_catalog
        from dealer.settings import get_settings

        catalog = load_catalog(get_settings().catalog_path)
        return catalog.code, catalog.name
    except Exception:  # noqa: BLE001 - a migration must not depend on a readable file
        return "demo", "默认经销商"


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _audit_guard(on: bool) -> None:
    """The append-only guard is lifted while the column is backfilled (and, on SQLite,
    while the table is rebuilt, which drops its triggers), then put back."""
    if _is_sqlite():
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{name}")
            if on:
                op.execute(AUDIT_GUARD_SQLITE.format(op=name, OP=name.upper()))
    else:
        op.execute(f"ALTER TABLE audit_log {'ENABLE' if on else 'DISABLE'} TRIGGER audit_log_append_only")


def upgrade() -> None:
    dealer = op.create_table(
        "dealer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer")),
        sa.UniqueConstraint("code", name=op.f("uq_dealer_code")),
    )
    code, name = _default_dealer()
    bind = op.get_bind()
    bind.execute(sa.insert(dealer).values(code=code, name=name, active=True, created_at=sa.func.now()))
    default_id = bind.execute(sa.select(dealer.c.id).where(dealer.c.code == code)).scalar_one()
    op.create_table(
        "staff_user_dealer",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealer.id"], name=op.f("fk_staff_user_dealer_dealer_id_dealer")),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE",
                                name=op.f("fk_staff_user_dealer_user_id_staff_user")),
        sa.PrimaryKeyConstraint("user_id", "dealer_id", name=op.f("pk_staff_user_dealer")),
    )
    _audit_guard(False)
    for table, (indexed, old_uniques, new_uniques) in SCOPED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("dealer_id", sa.Integer(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET dealer_id = :dealer").bindparams(dealer=default_id))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("dealer_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f"fk_{table}_dealer_id_dealer", "dealer", ["dealer_id"], ["id"])
            for unique, _columns in old_uniques:
                batch.drop_constraint(unique, type_="unique")
            for unique, columns in new_uniques:
                batch.create_unique_constraint(unique, columns)
            if indexed:
                batch.create_index(f"ix_{table}_dealer_id", ["dealer_id"], unique=False)
    for table, key in KEYED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("dealer_id", sa.Integer(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET dealer_id = :dealer").bindparams(dealer=default_id))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("dealer_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f"fk_{table}_dealer_id_dealer", "dealer", ["dealer_id"], ["id"])
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["dealer_id", *key])
    _audit_guard(True)


def downgrade() -> None:
    """Back to one dealer: only the default dealer's rows can stay (the others would
    break the global uniqueness), so every other dealer's rows are deleted."""
    bind = op.get_bind()
    default_id = bind.execute(sa.text("SELECT min(id) FROM dealer")).scalar()
    _audit_guard(False)
    if default_id is not None:
        for table in ("training_line",):
            op.execute(sa.text(
                "DELETE FROM training_line WHERE session_id IN "
                "(SELECT id FROM training_session WHERE dealer_id <> :dealer)").bindparams(dealer=default_id))
        for table in ("training_session", "followup_task", "appointment", "draft_work_order", "audit_log",
                      "staff_user_dealer", "staff_user", "vehicle", "customer", "advisor", "capacity_slot",
                      *KEYED):
            op.execute(sa.text(f"DELETE FROM {table} WHERE dealer_id <> :dealer").bindparams(dealer=default_id))
    for table, key in KEYED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
            batch.drop_constraint(f"fk_{table}_dealer_id_dealer", type_="foreignkey")
            batch.drop_column("dealer_id")
    for table, (indexed, old_uniques, new_uniques) in SCOPED.items():
        with op.batch_alter_table(table) as batch:
            if indexed:
                batch.drop_index(f"ix_{table}_dealer_id")
            for unique, _columns in new_uniques:
                batch.drop_constraint(unique, type_="unique")
            for unique, columns in old_uniques:
                batch.create_unique_constraint(unique, columns)
            batch.drop_constraint(f"fk_{table}_dealer_id_dealer", type_="foreignkey")
            batch.drop_column("dealer_id")
    _audit_guard(True)
    op.drop_table("staff_user_dealer")
    op.drop_table("dealer")
