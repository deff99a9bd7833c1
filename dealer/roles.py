"""Staff roles and what each may do: the written policy is docs/roles.md.

Plain rules over a user's role and a draft's assigned advisor, so the API routes and
the pages ask the same questions (api/deps.py turns a "no" into 403).
"""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    advisor = "advisor"  # a service advisor at the desk
    manager = "manager"  # the service manager: assigns work, rejects any draft
    admin = "admin"  # manages staff accounts; sees no customer data
    trainee = "trainee"  # a new advisor learning the phone script; sees no customer data
    trainer = "trainer"  # runs the training: sees every trainee's role plays; no customer data
    # Issue 14: a manager over several dealers of the group (staff_user_dealer): a manager
    # in each of them, and filters by dealer.
    group_manager = "group_manager"


# Who handles customers' bookings (drafts, appointments, the capacity plan).
DESK_ROLES = frozenset({Role.advisor, Role.manager, Role.group_manager})
# Who may do a manager's part (reassign, reject any draft, close complaints, CSI).
MANAGER_ROLES = frozenset({Role.manager, Role.group_manager})
# Who sees more than their own dealer.
MULTI_DEALER_ROLES = frozenset({Role.group_manager})
ACCOUNT_ROLES = frozenset({Role.admin})
# Phone-script training (issue 13): who plays role plays (their own), and who sees everyone's.
TRAINING_ROLES = frozenset({Role.trainee, Role.advisor, Role.trainer, Role.manager, Role.group_manager})
TRAINER_ROLES = frozenset({Role.trainer, Role.manager, Role.group_manager})


def handles_bookings(role: str) -> bool:
    return role in DESK_ROLES


def is_manager(role: str) -> bool:
    return role in MANAGER_ROLES


def sees_several_dealers(role: str) -> bool:
    return role in MULTI_DEALER_ROLES


def manages_accounts(role: str) -> bool:
    return role in ACCOUNT_ROLES


def trains(role: str) -> bool:
    return role in TRAINING_ROLES


def sees_all_training(role: str) -> bool:
    return role in TRAINER_ROLES


def may_see_training(role: str, own_user_id: int, session_user_id: int) -> bool:
    """A trainee (or advisor) their own role plays; a trainer or manager every one."""
    return sees_all_training(role) or (trains(role) and own_user_id == session_user_id)


def owns_or_unassigned(role: str, own_advisor_id: int | None, draft_advisor_id: int | None) -> bool:
    """A manager any draft; an advisor a draft assigned to them or to nobody."""
    if role in MANAGER_ROLES:
        return True
    return role == Role.advisor and (draft_advisor_id is None or draft_advisor_id == own_advisor_id)


def may_reject(role: str, own_advisor_id: int | None, draft_advisor_id: int | None) -> bool:
    """Rejecting frees the customer's slot: the draft's own advisor, or a manager."""
    return owns_or_unassigned(role, own_advisor_id, draft_advisor_id)


def may_assign(
    role: str, own_advisor_id: int | None, draft_advisor_id: int | None, new_advisor_id: int | None
) -> bool:
    """Moving a draft between advisors is the manager's; an advisor may take an
    unassigned draft, or hand back one of their own (to nobody)."""
    if new_advisor_id == draft_advisor_id or role in MANAGER_ROLES:
        return True
    if not owns_or_unassigned(role, own_advisor_id, draft_advisor_id):
        return False
    return new_advisor_id is None or (own_advisor_id is not None and new_advisor_id == own_advisor_id)


class NotPermitted(Exception):
    """The user's role does not allow this on this draft (``action``: reject | assign)."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action
