"""Role plays in the dealer database: start, speak, finish, history, the team view.

One unit of work per call (the caller's session). Who may see what is dealer/roles.py:
a trainee (or advisor) their own sessions, a trainer or manager every one."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dealer.catalog import Catalog
from dealer.services.dealers import visible_dealer_ids
from dealer import clock
from dealer.models import StaffUser, TrainingLine, TrainingSession
from dealer.roles import may_see_training, sees_all_training, trains
from training.customer import SimulatedCustomer
from training.scenarios import load_scenarios, scenario
from training.scorer import Scorecard, score_lines
from training.steps import load_training_script

ADVISOR, CUSTOMER = "advisor", "customer"


class TrainingError(Exception):
    """``reason``: not_found | forbidden | finished | unknown_scenario | unknown_user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CustomerTurn:
    customer: str
    done: bool


def scenario_list() -> list[dict]:
    return [
        {"id": c.id, "title": c.title, "difficulty": c.difficulty, "difficulty_label": c.difficulty_label,
         "service_type": c.service_type, "persona": c.persona}
        for c in load_scenarios()
    ]


def start(session: Session, user: StaffUser, scenario_id: str, seed: int | None = None) -> TrainingSession:
    if not trains(user.role):
        raise TrainingError("forbidden")
    try:
        scenario(scenario_id)
    except KeyError:
        raise TrainingError("unknown_scenario") from None
    row = TrainingSession(dealer_id=user.dealer_id, user_id=user.id, scenario=scenario_id,
                          seed=seed if seed is not None else random.SystemRandom().randrange(1, 2**31 - 1), started_at=clock.now())
    session.add(row)
    session.flush()
    return row


def get(session: Session, user: StaffUser, session_id: int) -> TrainingSession:
    """The session if this user may see it: a trainee their own, a trainer any."""
    row = session.scalar(
        select(TrainingSession).options(selectinload(TrainingSession.lines)).where(TrainingSession.id == session_id)
    )
    if row is None or row.dealer_id not in visible_dealer_ids(session, user):  # issue 14: another dealer's
        raise TrainingError("not_found")
    if not may_see_training(user.role, user.id, row.user_id):
        raise TrainingError("forbidden")
    return row


def speak(session: Session, user: StaffUser, session_id: int, text: str, catalog: Catalog | None = None) -> CustomerTurn:
    """The trainee's line and the simulated customer's reply, both kept. ``catalog``: the
    trainee's dealer's (issue 14; default: the default dealer's)."""
    row = get(session, user, session_id)
    if row.user_id != user.id:
        raise TrainingError("forbidden")  # a trainer watches, only the trainee speaks
    if row.finished_at is not None:
        raise TrainingError("finished")
    customer = (SimulatedCustomer(scenario(row.scenario), row.seed, catalog) if catalog is not None
                else SimulatedCustomer(scenario(row.scenario), row.seed))
    for line in row.lines:
        if line.speaker == ADVISOR:
            customer.reply(line.text)
    reply = customer.reply(text)
    position = len(row.lines)
    row.lines.append(TrainingLine(position=position, speaker=ADVISOR, text=text))
    row.lines.append(TrainingLine(position=position + 1, speaker=CUSTOMER, text=reply.text))
    row.customer_done = reply.done
    return CustomerTurn(reply.text, reply.done)


def finish(session: Session, user: StaffUser, session_id: int, catalog: Catalog | None = None) -> dict:
    """The scorecard, kept with the session; a finished session gives the same one again."""
    row = get(session, user, session_id)
    if row.finished_at is not None:
        return row.scorecard
    if row.user_id != user.id:
        raise TrainingError("forbidden")
    card = score_lines([(line.speaker, line.text) for line in row.lines], scenario(row.scenario), catalog)
    row.finished_at = clock.now()
    row.score, row.passed, row.order_ok = card.score, card.passed, card.order_ok
    row.scorecard = card.as_dict()
    return row.scorecard


def score_transcript(lines: list[tuple[str, str]], catalog: Catalog | None = None) -> Scorecard:
    """A real call's transcript, scored the same way; nothing is stored (it holds a real
    customer's personal data). ``catalog``: the trainee's dealer's (default: the default one)."""
    return score_lines(lines, catalog=catalog)


def _user_named(session: Session, username: str, viewer: StaffUser) -> StaffUser:
    """An account of the viewer's dealers (another dealer's is unknown here, issue 14)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or user.dealer_id not in visible_dealer_ids(session, viewer):
        raise TrainingError("unknown_user")
    return user


def history(session: Session, user: StaffUser, username: str | None = None) -> dict:
    """A trainee's attempts (score per attempt) and each step's trend (done in each
    finished attempt, oldest first). A trainee sees only their own; a trainer anyone's."""
    if not trains(user.role):
        raise TrainingError("forbidden")
    target = user if username in (None, "", user.username) else _user_named(session, username, user)
    if target.id != user.id and not sees_all_training(user.role):
        raise TrainingError("forbidden")
    rows = session.scalars(
        select(TrainingSession).where(TrainingSession.user_id == target.id).order_by(TrainingSession.id)
    ).all()
    titles = {c.id: c.title for c in load_scenarios()}
    attempts = [
        {"id": r.id, "scenario": r.scenario, "title": titles.get(r.scenario, r.scenario),
         "started_at": r.started_at, "finished_at": r.finished_at, "score": r.score, "passed": r.passed,
         "order_ok": r.order_ok}
        for r in rows
    ]
    trend: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        for step in (r.scorecard or {}).get("steps", []):
            trend[step["code"]].append(step["done"])
    script = load_training_script()
    steps = [{"code": s.code, "name": s.name, "done": trend[s.code]} for s in script.steps if trend.get(s.code)]
    return {"user": target.username, "attempts": attempts, "steps": steps}


def team(session: Session, user: StaffUser) -> dict:
    """A trainer's view: every trainee's attempts and the steps most often missed."""
    if not sees_all_training(user.role):
        raise TrainingError("forbidden")
    rows = session.scalars(
        select(TrainingSession).options(selectinload(TrainingSession.user))
        .where(TrainingSession.dealer_id.in_(visible_dealer_ids(session, user)),
               TrainingSession.finished_at.is_not(None)).order_by(TrainingSession.id)
    ).all()
    per_user: dict[str, list[TrainingSession]] = defaultdict(list)
    done: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        per_user[r.user.username].append(r)
        for step in (r.scorecard or {}).get("steps", []):
            done[step["code"]].append(step["done"])
    script = load_training_script()
    weakest = sorted(
        ({"code": code, "name": script.step(code).name, "attempts": len(marks),
          "done_rate": round(sum(marks) / len(marks), 2)} for code, marks in done.items()),
        key=lambda s: (s["done_rate"], -s["attempts"], script.codes.index(s["code"])),
    )
    trainees = [
        {"user": name, "attempts": len(rs), "passed": sum(bool(r.passed) for r in rs),
         "average": round(sum(r.score or 0 for r in rs) / len(rs)), "last": rs[-1].score}
        for name, rs in sorted(per_user.items())
    ]
    return {"trainees": trainees, "weakest": weakest}

