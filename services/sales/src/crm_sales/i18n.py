"""The sales service's message catalogue: code → (zh-CN, en).

Every field-error code the service raises and every message key of its typed errors has an
entry here or in the kit's catalogue it falls back on (REQUIRED, TOO_LONG, TOO_MANY,
OUT_OF_RANGE, INVALID, INVALID_CURSOR and the generic text of each error code);
`tests/unit/test_error_catalogues.py` holds the service to that. An English text of
`{message}` keeps the raised message, which names the limit, the allowed values or the stage.
"""

from __future__ import annotations

from crm_kit.i18n import COMMON, RAISED, Catalog
from crm_sales.quotes.messages import QUOTES

# Amounts, currencies, rates and dates (money, validation).
MONEY: dict[str, tuple[str, str]] = {
    "INVALID_CURRENCY": ("币种无效，请使用受支持的 ISO 4217 代码（如 CNY、USD）", RAISED),
    "FLOAT_NOT_ALLOWED": ("金额须以十进制字符串提交，不能使用浮点数", RAISED),
    "NOT_FINITE": ("必须是有限的数值", RAISED),
    "NEGATIVE": ("金额不能为负数", RAISED),
    "PRECISION": ("小数位数超出允许的精度", RAISED),
    "SAME_AS_BASE": ("本位币无需设置汇率", RAISED),
    "NO_EXCHANGE_RATE": ("该日期没有生效的汇率，请先由管理员设置汇率", RAISED),
    "INVALID_DATE": ("日期无效，请使用 YYYY-MM-DD 格式的真实日期", RAISED),
}

# Pipelines, stages and the stage gate.
PIPELINES: dict[str, tuple[str, str]] = {
    "DUPLICATE_ID": ("编号重复", RAISED),
    "MISSING_STAGE_KIND": ("销售流程须至少包含一个进行中、赢单和输单阶段", RAISED),
    "STAGE_ORDER": ("进行中的阶段须排在赢单和输单阶段之前", RAISED),
    "PROBABILITY_OF_KIND": ("赢单阶段的赢率为 100，输单阶段为 0", RAISED),
    "FORECAST_OF_KIND": ("预测类别与阶段类型不符", RAISED),
    "UNKNOWN_FIELD": ("该字段不能作为阶段的必填条件", RAISED),
    "NOT_APPLICABLE": ("此处不适用该项", RAISED),
    "STAGE_IN_USE": ("仍有商机处于该阶段，请先移出这些商机", RAISED),
    "UNKNOWN_PIPELINE": ("销售流程不存在", RAISED),
    "UNKNOWN_STAGE": ("该销售流程中没有此阶段", RAISED),
    "SAME_STAGE": ("商机已处于该阶段", RAISED),
    "CLOSED": ("商机已赢单或输单，请先重新打开", RAISED),
    "NOT_CLOSED": ("只有已赢单或输单的商机才能重新打开", RAISED),
    "NOT_OPEN_STAGE": ("重新打开的商机须进入进行中的阶段", RAISED),
    "NOT_OPEN": ("已赢单或输单的商机不能修改赢率", RAISED),
    "UNKNOWN_REASON": ("原因不在管理员设定的列表中", RAISED),
}

# Opportunities, line items, products and price books.
OPPORTUNITIES: dict[str, tuple[str, str]] = {
    "UNKNOWN_CUSTOMER": ("客户不存在或已被删除", RAISED),
    "NOT_A_LEAD": ("只有处于线索或潜在客户阶段的客户才能转为商机", RAISED),
    "SET_BY_LINE_ITEMS": ("有明细行时金额由明细合计得出，不能单独填写", RAISED),
    "CURRENCY_MISMATCH": ("币种不一致", RAISED),
    "INVALID_KEY": ("自定义字段的键无效", RAISED),
    "UNKNOWN_PRODUCT": ("产品不存在", RAISED),
    "PRODUCT_INACTIVE": ("该产品已停售", RAISED),
    "NOT_IN_PRICE_BOOK": ("该产品不在所选价目表中", RAISED),
    "PRICE_BOOK_INACTIVE": ("该价目表已停用", RAISED),
    "UNKNOWN_PRICE_BOOK": ("价目表不存在", RAISED),
    "NOT_IN_STAGE": ("指定的卡片不在目标阶段中", RAISED),
}

# Ownership, duplicates and merges.
OWNERSHIP: dict[str, tuple[str, str]] = {
    "IDS_OR_FILTER": ("请提供商机编号列表或筛选条件，二者只能选其一", RAISED),
    "SAME_OPPORTUNITY": ("商机不能与自身合并", RAISED),
    "DIFFERENT_CUSTOMER": ("只能合并同一客户的商机", RAISED),
    "UNKNOWN_RULE": ("分配规则不存在", RAISED),
}

# Sales targets.
TARGETS: dict[str, tuple[str, str]] = {
    "UNKNOWN_STAFF": ("该员工不是本服务近期识别到的销售人员（销售或经理角色）", RAISED),
    "UNKNOWN_TEAM": ("该团队没有在职的销售人员", RAISED),
    "TARGET_EXISTS": ("该对象在此期间已有目标，请按其版本号修改现有目标", RAISED),
}

# Sales forecasts.
FORECASTS: dict[str, tuple[str, str]] = {
    "FORECAST_NOT_MANAGER": ("只有该团队的经理或管理员才能调整此预测", RAISED),
    "PERIOD_CLOSED": ("该期间已结束，预测不能再提交", RAISED),
    "PERIOD_NOT_CLOSED": ("该期间尚未结束，暂无预测准确度", RAISED),
}

CATALOG = Catalog(
    {**MONEY, **PIPELINES, **OPPORTUNITIES, **OWNERSHIP, **TARGETS, **FORECASTS, **QUOTES},
    base=COMMON,
)
