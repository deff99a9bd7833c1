"""The Chinese words advisors read for codes the API uses (statuses, fields, reasons)."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from dealer.services import appointments, review
from dealer.services.booking import SlotUnavailable
from dealer.services.schedule import SlotProblem
from dealer.roles import NotPermitted
from dealer.validation import InvalidValue
from dealer.status import AppointmentStatus, DraftStatus

DRAFT_NOT_FOUND = "未找到该工单草稿"
STATUS_LABELS = {
    DraftStatus.draft: "待审核",
    DraftStatus.approved: "已批准",
    DraftStatus.rejected: "已拒绝",
    DraftStatus.cancelled: "已取消",
}

FIELD_LABELS = {
    "customer_name": "客户姓名",
    "phone": "手机号",
    "plate": "车牌号",
    "vin": "车架号",
    "model": "车型",
    "mileage_km": "行驶里程",
    "service_type": "服务类型",
    "start": "预约时间",
    "start_at": "预约时间",
    "advisor": "服务顾问",
    "first_visit": "首次到店",
    "repeat_repair": "重复维修",
    "extra_requests": "附加项目",
    "last_service": "上次保养",
    "job_description": "需求描述",
    "urgent": "紧急",
    "needs_human": "需人工跟进",
    "reason": "拒绝原因",
    "rejection_reason": "拒绝原因",
    "status": "状态",
    "symptoms.complaint": "客户原话",
    "symptoms.when": "何时发生",
    "symptoms.where": "部位与路况",
    "symptoms.what": "故障现象",
    "symptoms.frequency": "发生频率",
    "symptoms.driving_impact": "对行车的影响",
    "symptoms.tried": "客户已做的处理",
}

REASON_LABELS = {
    "required": "不能为空",
    "not_mainland_mobile": "不是有效的大陆手机号（11 位，以 1 开头）",
    "bad_format": "格式不正确",
    "bad_check_digit": "校验位不正确",
    "implausible": "数值不合理",
    "unknown_service_type": "不是已知的服务类型",
    "unknown_advisor": "不是在职的服务顾问",
    "not_a_flag": "只能是“是”或“否”",
    "bad_text": "内容过长或含有不可见字符",
    "not_editable": "不能修改",
}

SLOT_PROBLEM_LABELS = {
    SlotProblem.past: "该时间已过去",
    SlotProblem.closed: "该时间不在营业时间内",
    SlotProblem.misaligned: "预约时间须在整点或半点",
    SlotProblem.too_far: "该时间超出可预约范围",
    SlotProblem.full: "该时段已约满",
}


def invalid_value_message(field: str, reason: str) -> str:
    return f"{FIELD_LABELS.get(field, field)}{REASON_LABELS.get(reason, '不正确')}"


# The review service's refusals: (HTTP status, what the advisor reads).
REVIEW_ERRORS = (review.DraftNotFound, review.VersionConflict, StaleDataError,
                 review.StatusConflict, SlotUnavailable, InvalidValue, NotPermitted)
# What a role may not do to a draft (docs/roles.md).
NOT_PERMITTED = {
    "reject": "只有该草稿的服务顾问或服务经理可以拒绝它",
    "assign": "只有服务经理可以把草稿改派给其他顾问（顾问可认领未分配的草稿）",
}


def review_error(error: Exception) -> tuple[int, str]:
    if isinstance(error, review.DraftNotFound):
        return 404, DRAFT_NOT_FOUND
    if isinstance(error, (review.VersionConflict, StaleDataError)):
        return 409, "该草稿已被其他顾问修改，请刷新后再操作"
    if isinstance(error, review.StatusConflict):
        return 409, f"该草稿{STATUS_LABELS.get(error.status, error.status)}，不能进行此操作"
    if isinstance(error, SlotUnavailable):
        return 409, SLOT_PROBLEM_LABELS[error.problem]
    if isinstance(error, InvalidValue):
        return 422, invalid_value_message(error.field, error.reason)
    if isinstance(error, NotPermitted):
        return 403, NOT_PERMITTED[error.action]
    raise TypeError(f"not a review error: {error!r}")


APPOINTMENT_NOT_FOUND = "未找到该预约"
APPOINTMENT_STATUS_LABELS = {
    AppointmentStatus.confirmed: "已预约",
    AppointmentStatus.arrived: "已到店",
    AppointmentStatus.in_service: "维修中",
    AppointmentStatus.delivered: "已交车",
    AppointmentStatus.no_show: "未到店",
    AppointmentStatus.cancelled: "已取消",
}
# The arrivals board's buttons: what the advisor does to move an appointment there.
APPOINTMENT_MOVE_LABELS = {
    AppointmentStatus.arrived: "到店",
    AppointmentStatus.in_service: "开始维修",
    AppointmentStatus.delivered: "交车",
    AppointmentStatus.no_show: "未到店",
}
APPOINTMENT_ERRORS = (appointments.AppointmentNotFound, appointments.TransitionRefused)


def appointment_error(error: Exception) -> tuple[int, str]:
    """The appointment service's refusals: (HTTP status, what the advisor reads)."""
    if isinstance(error, appointments.AppointmentNotFound):
        return 404, APPOINTMENT_NOT_FOUND
    if isinstance(error, appointments.TransitionRefused):
        if error.too_early:
            return 409, "预约时间还没到，还不能标记为未到店"
        current, target = APPOINTMENT_STATUS_LABELS[error.current], APPOINTMENT_STATUS_LABELS[error.target]
        return 409, f"该预约{current}，不能改为{target}"
    raise TypeError(f"not an appointment error: {error!r}")
