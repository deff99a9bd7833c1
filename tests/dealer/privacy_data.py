"""A customer's data in both databases, for the export, forget and retention tests: rows
written straight into the dealer database, and a tracker store with Rasa's ``events``
table holding events the way Rasa stores them (JSON with Chinese escaped)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, inspect, select

from dealer import clock
from dealer.db import unit_of_work
from dealer.models import Appointment, Customer, DraftWorkOrder, Vehicle
from dealer.services import audit

EVENTS = Table(  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    plate: str
    vin: str
    typed_phone: str  # as the customer typed it in the chat
    typed_plate: str

    @property
    def traces(self) -> list[str]:
        """Every form in which the person could still be found in a dump."""
        forms = [self.name, self.phone, self.plate, self.vin, self.typed_phone, self.typed_plate]
        return forms + [json.dumps(f)[1:-1] for f in forms]  # as JSON with escapes stores them


CUSTOMER = Person("司马瑞雪", "13812345678", "京A12345", "LFV2A21K8D4012345", "138 1234 5678", "京a·12345")
STRANGER = Person("欧阳明", "13987654321", "沪B54321", "LSVAU2180N2123456", "13987654321", "沪B54321")


def tracker_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    return url


def add_conversation(url: str, sender: str, texts: list[str], slots: dict[str, str], at: datetime) -> None:
    engine = create_engine(url)
    stamp = at.timestamp()
    rows = [{"sender_id": sender, "type_name": "action", "timestamp": stamp, "action_name": "action_listen",
             "data": json.dumps({"event": "action", "name": "action_listen", "timestamp": stamp})}]
    for text in texts:
        rows.append({"sender_id": sender, "type_name": "user", "timestamp": stamp, "intent_name": "inform",
                     "data": json.dumps({"event": "user", "text": text, "timestamp": stamp,
                                         "parse_data": {"text": text, "intent": {"name": "inform"}}})})
        rows.append({"sender_id": sender, "type_name": "bot", "timestamp": stamp,
                     "data": json.dumps({"event": "bot", "text": "好的", "timestamp": stamp})})
    for name, value in slots.items():
        rows.append({"sender_id": sender, "type_name": "slot", "timestamp": stamp,
                     "data": json.dumps({"event": "slot", "name": name, "value": value, "timestamp": stamp})})
    with engine.begin() as connection:
        connection.execute(EVENTS.insert(), [{"intent_name": None, "action_name": None, **r} for r in rows])
    engine.dispose()


def add_customer_booking(database_url: str, person: Person, conversation: str, created: datetime | None = None,
                         with_vin: bool = True) -> int:
    """A customer, their car, one draft with an appointment, and its audit history."""
    created = created or clock.now(timezone.utc)
    with unit_of_work(database_url) as session:
        customer = session.scalar(select(Customer).where(Customer.phone == person.phone))
        if customer is None:
            customer = Customer(phone=person.phone, name=person.name, created_at=created)
            session.add(customer)
        vehicle = session.scalar(select(Vehicle).where(Vehicle.plate == person.plate))
        if vehicle is None:
            vehicle = Vehicle(plate=person.plate, vin=person.vin if with_vin else None, model="迈腾",
                              customer=customer, created_at=created)
            session.add(vehicle)
        session.flush()
        draft = DraftWorkOrder(
            idempotency_key=f"{conversation}:{uuid.uuid4().hex}", channel="rest", conversation_id=conversation,
            customer_id=customer.id, vehicle_id=vehicle.id, customer_name=person.name, phone=person.phone,
            plate=person.plate, vin=person.vin if with_vin else None, model="迈腾", service_type="repair",
            start_at=created + timedelta(days=1), created_at=created, updated_at=created,
            symptoms={"what": f"刹车异响,打{person.typed_phone}找我,车是{person.typed_plate}", "when": "最近一周"},
            extra_requests=f"联系人{person.name}", status="approved",
        )
        session.add(draft)
        session.flush()
        appointment = Appointment(draft_id=draft.id, start_at=draft.start_at, created_at=created)
        session.add(appointment)
        session.flush()
        audit.record(session, "assistant", "draft_work_order", draft.id, "create")
        audit.record(session, "advisor", "draft_work_order", draft.id, "edit", "customer_name", "司马先生", person.name)
        audit.record(session, "advisor", "draft_work_order", draft.id, "edit", "phone", "13800000000", person.phone)
        audit.record(session, "advisor", "draft_work_order", draft.id, "edit", "symptoms.tried",
                     None, f"车牌{person.plate}上次修过")
        audit.record(session, "advisor", "appointment", appointment.id, "create")
        return draft.id


def dump(url: str) -> str:
    """Every row of every table, as text, JSON values both as stored and decoded."""
    engine = create_engine(url)
    lines = []
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                reflected = Table(table, MetaData(), autoload_with=connection)
                for row in connection.execute(select(reflected)):
                    for value in row:
                        lines.append(repr(value))
                        if isinstance(value, str) and value[:1] in "{[":
                            lines.append(json.dumps(json.loads(value), ensure_ascii=False))
                        elif isinstance(value, dict | list):
                            lines.append(json.dumps(value, ensure_ascii=False))
    finally:
        engine.dispose()
    return "\n".join(lines)


def traces_of(person: Person, text: str) -> list[str]:
    return [form for form in person.traces if form in text]
