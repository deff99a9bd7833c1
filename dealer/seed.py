"""Seeding the dealer's reference data from the catalogue (idempotent)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import Advisor, MaintenancePrice, OpeningHours, ServiceTypeRow, StaffUser
from dealer.passwords import hash_password


def seed_reference_data(session: Session, catalog: Catalog) -> None:
    for entry in catalog.advisors:
        advisor = session.scalar(select(Advisor).where(Advisor.code == entry.code))
        if advisor is None:
            session.add(Advisor(code=entry.code, name=entry.name, active=True))
        else:
            advisor.name = entry.name
    for service in catalog.service_types:
        session.merge(ServiceTypeRow(code=service.code, name=service.name))
    for package in catalog.maintenance_packages:
        session.merge(
            MaintenancePrice(
                code=package.code,
                name=package.name,
                price_yuan=package.price_yuan,
                includes=package.includes,
            )
        )
    for weekday in range(7):
        session.merge(
            OpeningHours(
                weekday=weekday,
                opens_at=catalog.opens_at.strftime("%H:%M"),
                closes_at=catalog.closes_at.strftime("%H:%M"),
                slot_minutes=catalog.slot_minutes,
                slot_capacity=catalog.slot_capacity,
            )
        )
    session.flush()


def seed_demo_accounts(session: Session, catalog: Catalog) -> None:
    """Demo logins (advisor/advisor): only ever called in local/demo mode."""
    for account in catalog.demo_accounts:
        if session.scalar(select(StaffUser).where(StaffUser.username == account.username)):
            continue
        advisor = session.scalar(select(Advisor).where(Advisor.code == account.advisor_code))
        session.add(
            StaffUser(
                username=account.username,
                password_hash=hash_password(account.password),
                role=account.role,
                advisor_id=advisor.id if advisor else None,
            )
        )
    session.flush()
