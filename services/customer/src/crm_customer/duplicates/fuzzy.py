"""Names as a reader compares them (pure): the name rules of duplicate detection.

A name is read as three parts (`read`):

- its *numbers*: digit runs ("测试1", "-2", "No. 3", "5号") and Chinese numerals counted with
  第 or 号 ("第三", "二号"); "01" and "1" are the same number;
- its *branch*: a branch word (分公司, 分店, 支行, 分行, 营业部, 办事处, 代表处, 门店,
  Branch, …) with the words that name the branch — what follows the legal form or trade
  word before it ("华为技术有限公司北京分公司" → "北京分公司", "招商银行南山支行" →
  "南山支行"), else the whole name up to the branch word;
- its *core*, the rest: full-width folded, lowercase, bracketed asides dropped ("（北京）",
  "(China)"), legal forms (有限公司, 股份有限公司, 集团, Co., Ltd., Inc., LLC, …) and generic
  trade words (科技, 贸易, Technology, …) removed from the end, a leading province or city
  removed, punctuation and spaces dropped. "北京云帆科技有限公司" and "云帆科技(北京)有限责任公司"
  share the core "云帆".

Two names are similar only when their numbers and branches are the same — "测试科技有限公司1"
and "测试科技有限公司2", a company's 北京分公司 and its 上海分公司, or a branch and its head
office are different entities however alike they look — and their cores are close:
edit-distance similarity over the core or over its pinyin ≥ THRESHOLD (a typo or a
same-sounding character stays similar). Legal forms are noise: "华为技术有限公司" and
"华为技术股份有限公司" are the same name.

Finding candidates is index-served: a record registers *block keys* in the match-key
collection (looked up by `_id`), and only the holders of its block keys are scored. An
enterprise's blocks are the first characters of its core and of the core's pinyin
initials (``near:<region>:c:…``, ``near:<region>:p:…``); a person's block is the birthday
and the first pinyin initial (``near:<region>:b:<birthday>:<initial>``: a name alone never
makes a person's candidate). A name with numbers or a branch adds them to its block keys
(``…#<numbers>@<branch>``), so the names of a numbered series share no block at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

THRESHOLD = 0.8
MAX_SCORE = 0.55  # below NAME_REGION (0.6): a similar name is weaker than the same name

_BRACKETS = re.compile(r"[(\[（【]([^)\]）】]*)[)\]）】]")
_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "总公司", "集团", "公司",
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
# Words after which a branch's own name begins ("招商银行|南山支行"): legal forms, trade words.
_TRADES = ("银行", "保险", "证券", "酒店", "超市", "商场", "药房", "药店", "医院", "餐饮")


def _word(word: str) -> str:
    """A pattern for a whole word: latin words only between word edges ("inc", not "lincoln")."""
    escaped = re.escape(word)
    return rf"\b{escaped}(?!\w)" if word.isascii() else escaped


_BOUNDARY = re.compile(
    "|".join(_word(w) for w in sorted({*_SUFFIXES, *_GENERIC, *_TRADES}, key=len, reverse=True))
    + r"|\|"
)
_BRANCH = re.compile(
    r"分公司|分店|支行|分行|营业部|办事处|代表处|分部|分厂|分所|分社|分院|门店|\bbranch\b"
)
_PLACES = (
    "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "厦门", "青岛",
    "大连", "宁波", "长沙", "郑州", "济南", "合肥", "福州", "沈阳", "昆明", "无锡", "东莞",
    "佛山", "珠海", "beijing", "shanghai", "shenzhen", "guangzhou", "hangzhou", "hong kong",
)  # fmt: skip
_PLACE_TAIL = ("省", "市", "自治区")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMERAL = "[零〇一二两三四五六七八九十百千]+"
# 第3, 第三, 3号, 三号, 3: a count; a Chinese numeral alone (王一, 三星) is part of the name.
_NUMBER = re.compile(rf"第(\d+|{_CN_NUMERAL})号?|(\d+|{_CN_NUMERAL})号|(\d+)")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class Reading:
    """A name as a reader takes it apart."""

    core: str
    numbers: tuple[str, ...]
    branch: str

    @property
    def mark(self) -> str:
        """What sets this entity apart from its look-alikes: numbers and branch ('' if none)."""
        numbers = "-".join(self.numbers)
        return f"{numbers}@{self.branch}" if self.branch else numbers


def _chinese_number(text: str) -> int:
    """A Chinese numeral as written in counts and ordinals (一, 十二, 二十, 一百零五)."""
    total, digit = 0, 0
    for char in text:
        if char in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
        else:
            digit = digit * 10 + _CN_DIGITS[char] if digit else _CN_DIGITS[char]
    return total + digit


def _number(match: re.Match[str]) -> str:
    written = match.group(1) or match.group(2) or match.group(3)
    return str(int(written) if written.isdigit() else _chinese_number(written))


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


def _asides(text: str) -> str:
    """Bracketed asides dropped ("（北京）"), except one that names a branch ("（北京分公司）"),
    which stays, its brackets a boundary."""

    def aside(match: re.Match[str]) -> str:
        return f"|{match.group(1)}|" if _BRANCH.search(match.group(1)) else " "

    return _BRACKETS.sub(aside, text)


def _split_branch(text: str) -> tuple[str, str]:
    """(the name before its branch, the branch with its own name) — ('text', '') if none."""
    found = list(_BRANCH.finditer(text))
    if not found:
        return text, ""
    first, last = found[0], found[-1]
    start = max((b.end() for b in _BOUNDARY.finditer(text, 0, first.start())), default=0)
    return text[:start], _NOT_WORD.sub("", text[start : last.end()])


@lru_cache(maxsize=8192)
def read(name: str) -> Reading:
    """The core, numbers and branch of a (company or person) name."""
    text = unicodedata.normalize("NFKC", name).lower().strip()
    numbers = tuple(_number(m) for m in _NUMBER.finditer(text))
    text = _NUMBER.sub(" ", text)
    head, branch = _split_branch(_asides(text))
    head = _EDGES.sub("", " ".join(head.replace("|", " ").split()))  # "公司-1" → "公司"
    head = _strip_end(head, _SUFFIXES)
    head = _strip_place(head)
    head = _strip_end(head, _GENERIC)
    return Reading(_NOT_WORD.sub("", head), numbers, branch)


def core(name: str) -> str:
    """The distinctive part of a name, for similarity."""
    return read(name).core


@lru_cache(maxsize=8192)
def _pinyin(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a core; latin text is its own pinyin."""
    if not _CJK.search(text):
        return text, text
    return "".join(lazy_pinyin(text)), "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))


def _marked(key: str, reading: Reading) -> str:
    return f"{key}#{reading.mark}" if reading.mark else key


def block_keys(name: str, region: str | None) -> set[str]:
    """An enterprise's blocking keys (none without a region or a usable core)."""
    reading = read(name)
    c = reading.core
    if not region or len(c) < 2:
        return set()
    initials = _pinyin(c)[1]
    width = 2 if _CJK.search(c) else 3
    return {
        _marked(f"near:{region}:c:{c[:width]}", reading),
        _marked(f"near:{region}:p:{initials[:3]}", reading),
    }


def person_block_keys(name: str, region: str | None, birthday: str | None) -> set[str]:
    """A person's blocking key: the same region, birthday and first pinyin initial — the
    birthday is the second signal a person's name needs (none without one of them)."""
    reading = read(name)
    if not region or not birthday or len(reading.core) < 2:
        return set()
    initial = _pinyin(reading.core)[1][:1]
    return {_marked(f"near:{region}:b:{birthday}:{initial}", reading)}


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
    """0..1: the better of character and pinyin edit-distance similarity of the cores; 0 when
    the numbers or the branches differ (different entities, however alike)."""
    ra, rb = read(a), read(b)
    if ra.mark != rb.mark or len(ra.core) < 2 or len(rb.core) < 2:
        return 0.0
    return max(ratio(ra.core, rb.core), ratio(_pinyin(ra.core)[0], _pinyin(rb.core)[0]))


def score(a: str, b: str) -> float | None:
    """The NAME_SIMILAR score of two names in the same region, or None below the threshold."""
    s = similarity(a, b)
    return round(MAX_SCORE * s, 3) if s >= THRESHOLD else None
