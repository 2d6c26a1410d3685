"""Similar names within the same region (pure): the fuzzy duplicate rule.

Names are reduced to a *core*: full-width folded, lowercase, bracketed parts dropped
("（北京）", "(China)"), legal-form suffixes (有限公司, 股份有限公司, Co., Ltd., Inc., …) and
generic trade words (科技, 贸易, Technology, Trading, …) removed from the end, a leading
province/city name removed, punctuation and spaces dropped. "北京云帆科技有限公司" and
"云帆科技(北京)有限责任公司" share the core "云帆".

Finding candidates is index-served: each customer registers *block keys*
``near:<region>:<block>`` in the match-key collection (looked up by `_id`), where the blocks
are the first characters of the core and of its pinyin initials; so a typo in either the
characters or a same-sounding character still meets its twin. Candidates are then scored by
edit-distance similarity over the core and over its pinyin; ≥ THRESHOLD is a match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

THRESHOLD = 0.8
MAX_SCORE = 0.55  # below NAME_REGION (0.6): a similar name is weaker than the same name
MAX_CANDIDATES = 200

_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "分公司", "总公司", "集团", "公司",
    "co ltd", "co., ltd.", "co.,ltd.", "co., ltd", "co.,ltd", "company limited", "limited",
    "ltd.", "ltd", "inc.", "inc", "llc", "corp.", "corp", "corporation", "company", "gmbh",
    "plc", "group", "holdings",
)  # fmt: skip
_GENERIC = (
    "信息技术", "网络科技", "科技", "技术", "信息", "网络", "贸易", "商贸", "实业", "发展",
    "电子", "咨询", "服务", "软件", "智能", "国际", "控股",
    "technologies", "technology", "tech", "trading", "international", "solutions",
    "services", "software",
)  # fmt: skip
_PLACES = (
    "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "厦门", "青岛",
    "大连", "宁波", "长沙", "郑州", "济南", "合肥", "福州", "沈阳", "昆明", "无锡", "东莞",
    "佛山", "珠海", "beijing", "shanghai", "shenzhen", "guangzhou", "hangzhou", "hong kong",
)  # fmt: skip
_PLACE_TAIL = ("省", "市", "自治区")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _strip_end(text: str, words: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for word in words:
            if text.endswith(word) and len(text) > len(word):
                text = text[: -len(word)].rstrip(" ,.-&")
                changed = True
    return text


def _strip_place(text: str) -> str:
    for place in _PLACES:
        if text.startswith(place):
            rest = text[len(place) :]
            for tail in _PLACE_TAIL:
                if rest.startswith(tail):
                    rest = rest[len(tail) :]
                    break
            if len(_NOT_WORD.sub("", rest)) >= 2:
                return rest.lstrip(" ,.-")
    return text


@lru_cache(maxsize=4096)
def core(name: str) -> str:
    """The distinctive part of a (company or person) name, for similarity."""
    text = unicodedata.normalize("NFKC", name).lower().strip()
    text = " ".join(_BRACKETS.sub(" ", text).split())
    text = _strip_end(text, _SUFFIXES)
    text = _strip_place(text)
    text = _strip_end(text, _GENERIC)
    return _NOT_WORD.sub("", text)


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a core; latin text is its own pinyin."""
    if not _CJK.search(text):
        return text, text
    return "".join(lazy_pinyin(text)), "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))


def block_keys(name: str, region: str | None) -> set[str]:
    """The blocking keys a customer registers (none without a region or a usable core)."""
    c = core(name)
    if not region or len(c) < 2:
        return set()
    initials = _pinyin(c)[1]
    width = 2 if _CJK.search(c) else 3
    return {f"near:{region}:c:{c[:width]}", f"near:{region}:p:{initials[:3]}"}


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def similarity(a: str, b: str) -> float:
    """0..1: the better of character and pinyin edit-distance similarity of the cores."""
    ca, cb = core(a), core(b)
    if len(ca) < 2 or len(cb) < 2:
        return 0.0
    return max(ratio(ca, cb), ratio(_pinyin(ca)[0], _pinyin(cb)[0]))


def score(a: str, b: str) -> float | None:
    """The NAME_SIMILAR score of two names in the same region, or None below the threshold."""
    s = similarity(a, b)
    return round(MAX_SCORE * s, 3) if s >= THRESHOLD else None
