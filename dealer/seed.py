"""Seeding the dealers' reference data from their catalogues (idempotent).

Issue 14: each dealer file (dealer/demo_dealer.yml, the default one, and
dealer/dealers/<code>.yml) is one dealer row and its advisors, service types, prices and
hours; the demo accounts of each file belong to its dealer.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import (
    Advisor,
    Dealer,
    MaintenancePrice,
    OpeningHours,
    ServiceTypeRow,
    StaffUser,
    StaffUserDealer,
)
from dealer.passwords import hash_password


def seed_dealer(session: Session, catalog: Catalog) -> Dealer:
    """The catalogue's dealer row (by code), made or renamed."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == catalog.code))
    if dealer is None:
        dealer = Dealer(code=catalog.code, name=catalog.name, active=True)
        session.add(dealer)
        session.flush()
    else:
        dealer.name = catalog.name
    return dealer


def seed_reference_data(session: Session, catalog: Catalog) -> None:
    dealer_id = seed_dealer(session, catalog).id
    for entry in catalog.advisors:
        advisor = session.scalar(
            select(Advisor).where(Advisor.dealer_id == dealer_id, Advisor.code == entry.code)
        )
        if advisor is None:
            session.add(Advisor(dealer_id=dealer_id, code=entry.code, name=entry.name, active=True))
        else:
            advisor.name = entry.name
    for service in catalog.service_types:
        session.merge(ServiceTypeRow(dealer_id=dealer_id, code=service.code, name=service.name))
    for package in catalog.maintenance_packages:
        session.merge(
            MaintenancePrice(
                dealer_id=dealer_id,
                code=package.code,
                name=package.name,
                price_yuan=package.price_yuan,
                includes=package.includes,
            )
        )
    for weekday in range(7):
        session.merge(
            OpeningHours(
                dealer_id=dealer_id,
                weekday=weekday,
                opens_at=catalog.opens_at.strftime("%H:%M"),
                closes_at=catalog.closes_at.strftime("%H:%M"),
                slot_minutes=catalog.slot_minutes,
                slot_capacity=catalog.slot_capacity,
            )
        )
    session.flush()


def seed_demo_accounts(session: Session, catalog: Catalog) -> None:
    """Demo logins (advisor/advisor): only ever called in local/demo mode. A group
    manager's further dealers are linked when they exist (seed them first)."""
    dealer_id = seed_dealer(session, catalog).id
    for account in catalog.demo_accounts:
        user = session.scalar(select(StaffUser).where(StaffUser.username == account.username))
        if user is None:
            advisor = session.scalar(
                select(Advisor).where(Advisor.dealer_id == dealer_id, Advisor.code == account.advisor_code)
            )
            user = StaffUser(
                username=account.username,
                password_hash=hash_password(account.password),
                role=account.role,
                dealer_id=dealer_id,
                advisor_id=advisor.id if advisor else None,
            )
            session.add(user)
            session.flush()
        for code in account.dealers:
            linked = session.scalar(select(Dealer.id).where(Dealer.code == code))
            if linked is not None and linked != user.dealer_id and session.get(StaffUserDealer, (user.id, linked)) is None:
                session.add(StaffUserDealer(user_id=user.id, dealer_id=linked))
    session.flush()
