"""The texts of what quotes raise and answer: code → (zh-CN, en), part of the service's
catalogue (`crm_sales.i18n`). An English text of `{message}` (RAISED) keeps the raised message,
which names the quote, the date or the threshold."""

from __future__ import annotations

from crm_kit.i18n import RAISED

QUOTES: dict[str, tuple[str, str]] = {
    "OPPORTUNITY_CLOSED": ("商机已赢单、输单或合并，不能再报价", RAISED),
    "NO_LINE_ITEMS": ("商机还没有产品明细，无法生成报价单", RAISED),
    "UNKNOWN_OPPORTUNITY": ("商机不存在", RAISED),
    "NOT_DRAFT": ("报价单已发送，不能修改；如需调整请创建新版本", RAISED),
    "SUPERSEDED": ("该报价单已有更新的版本，请在最新版本上操作", RAISED),
    "NOT_REVISABLE": ("草稿请直接修改；已接受的报价单不能再出新版本", RAISED),
    "APPROVAL_NOT_NEEDED": ("折扣未超过审批阈值，无需审批", RAISED),
    "ALREADY_APPROVED": ("该报价单的折扣已审批", RAISED),
    "SELF_APPROVAL": ("不能审批自己创建的报价单，请由其他经理或管理员审批", RAISED),
    "APPROVAL_REQUIRED": ("折扣超过审批阈值，须经经理审批后才能发送", RAISED),
    "IN_PAST": ("日期不能早于今天", RAISED),
    "EXPIRED": ("报价单已过有效期，请创建新版本", RAISED),
    "NOT_SENT": ("只有已发送的报价单才能被接受或拒绝", RAISED),
    "NOT_WON_STAGE": ("该阶段不是此销售流程的赢单阶段", RAISED),
    "quote.PDF_FONT_MISSING": (
        "服务器未安装报价单 PDF 所需的中文字体，请联系管理员（可先下载 XLSX）",
        "The quote PDF cannot be made: its Chinese font is not installed on the server (the "
        "XLSX works); contact your administrator",
    ),
    "quote.download.INVALID_LINK": (
        "下载链接无效，请重新获取",
        "This download link is not valid; get a new one",
    ),
    "quote.download.LINK_EXPIRED": (
        "下载链接已过期，请重新获取",
        "This download link has expired; get a new one",
    ),
    "quote.download.NOT_FOUND": ("报价单不存在", "The quote no longer exists"),
    "quote.download.FORBIDDEN": ("您无权下载此报价单", "You may not download this quote"),
}
