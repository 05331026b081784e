"""Guess a 고용24 middle-level occupation code from a posting's title and skill tags.

Job-site exports carry no occupation code, so the importer guesses one from words of
the title and tags with :data:`KEYWORD_TABLE`. The guess is deliberately conservative:
a word that names no job by itself ("기술지원", "매니저", "운영") is not in the table,
and a posting that matches nothing keeps ``occupation_code`` empty (its title and skills
still match seekers by text).

How a guess is made:

1. The title is searched for every keyword; the first row of the table with a keyword in
   the title wins. Rows are ordered so that the more specific job comes first
   (간호조무사 before 간호사, 고객상담 before 돌봄, 정보보안 before 보안요원, 주방 before
   레스토랑).
2. When the title names no job, each skill tag votes for the first row it matches; the
   code with most votes wins, ties going to the row that comes first in the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache

from importers.parsed import Parsed

# (middle-level code, keywords). ASCII keywords match whole words, case-insensitively
# ("CS" does not match "CSV"); Korean keywords match anywhere ("간호조무사님").
# A table reads best one row per line, so the formatter leaves it alone.
# fmt: off
KEYWORD_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    # 보건·의료: the most specific titles first.
    ("044", ("간호조무사", "응급구조", "환자이송", "치위생")),
    ("042", ("간호사", "간호팀", "영양사")),
    ("043", ("물리치료", "방사선사", "임상병리", "작업치료")),
    ("041", ("전문의", "치과의사", "한의사")),
    # 상담·안내 before the care words: "간병/돌봄 플랫폼 고객상담" is a 상담 job.
    ("074", ("TM", "텔레마케", "아웃바운드", "인바운드")),
    ("01A", ("고객상담", "상담원", "기술상담", "고객응대", "고객성공", "콜센터", "CS", "상담실장",
             "코디네이터", "코디팀", "리셉션", "안내데스크", "원무", "치과 데스크")),
    ("037", ("직업상담", "헤드헌팅", "서치펌", "취업알선", "사회복지")),
    ("068", ("간병", "돌봄", "요양보호", "보육")),
    ("035", ("평생교육사", "교육 훈련", "교육훈련")),
    # Selling a technology, and developing a product, before the technologies themselves.
    ("072", ("기술영업", "솔루션영업", "IT영업", "SI영업", "네트워크영업", "보안솔루션영업",
             "소프트웨어 영업", "해외영업")),
    ("02C", ("건설안전", "산업안전", "제품개발")),
    ("107", ("통신공사", "케이블", "CCTV", "인터넷설치")),
    ("102", ("가전제품설치", "A/S기사", "수리기사")),
    # 정보통신 (most of 사람인's tags); before 보안요원 and 디자인 ("UI개발").
    ("025", ("정보보안", "보안컨설팅", "보안관제", "보안운영", "취약점", "모의해킹", "방화벽",
             "네트워크", "네트웍", "CISO", "VPN", "정보보호")),
    ("026", ("데이터분석", "데이터엔지니어", "데이터 엔지니어", "데이터 사이언티스트", "빅데이터",
             "데이터마이닝", "데이터시각화", "DBA", "DW", "ETL", "BI 엔지니어", "웹마스터")),
    ("023", ("SE(시스템엔지니어)", "시스템엔지니어", "시스템 엔지니어", "인프라", "클라우드",
             "DevOps", "ERP", "SAP", "ABAP", "스토리지", "IT컨설팅", "ICT컨설팅", "SI·시스템통합",
             "미들웨어")),
    ("022", ("H/W", "HW", "하드웨어", "FPGA", "MCU", "ASIC", "VHDL", "Verilog", "무선통신",
             "통신공학")),
    ("02A", ("회로설계", "회로엔지니어", "반도체설계", "PCB", "전장설계", "전자제어", "전기설계",
             "전기 설계", "SMPS", "SoC")),
    ("024", ("백엔드", "서버개발", "프론트엔드", "웹개발", "앱개발", "앱 개발", "UI개발",
             "소프트웨어", "S/W", "SW", "개발자", "프로그래머", "풀스택", "퍼블리셔", "임베디드",
             "펌웨어", "SI개발", "게임개발", "QA/테스터", "머신러닝", "딥러닝", "AI(인공지능)",
             "인공지능", "React", "Vue", "Java", "Python", "C++", "C언어", "C#", "Android", "iOS",
             "안드로이드")),
    ("029", ("기구설계", "기계설계", "기계 설계", "설계팀(기구", "로봇설계", "3D설계")),
    ("033", ("코딩 강사", "코딩학원", "프로그래밍 강사", "IT강사", "교육 강사")),
    # 영업 before 호텔 and 납품 ("호텔 B2B영업", "거래처 영업 및 납품"); 영업지원 is office work.
    ("017", ("영업지원", "운영지원", "채용담당", "그룹조정실")),
    ("073", ("영업", "세일즈", "Sales", "거래처 관리")),
    # 건설, 생산, 시설.
    ("082", ("인테리어 시공", "도장", "도배", "미장")),
    ("028", ("건설공무", "토목", "건설기술", "공동주택", "재건축")),
    ("103", ("전기 시설", "시설관리(전기", "전기기사", "방재기사")),
    ("094", ("시설관리", "시설 과장", "시설 교대", "설비 시설", "기계(주간)")),
    ("019", ("구매", "발주", "무역", "수입사무", "생산관리", "품질관리", "재고 관리", "재고관리",
             "검역", "인증 업무")),
    ("126", ("생산팀", "생산직", "단순생산")),
    # 음식·숙박·여행·미용·경비·청소. (No "서버": in IT titles it is a computer.)
    ("118", ("파티쉐", "제빵", "베이커", "케이크")),
    ("064", ("주방", "요리사", "조리사", "조리실장", "쉐프", "셰프", "chef", "키친")),
    ("065", ("홀서빙", "홀서버", "홀 서비스", "홀 직원", "홀 팀원", "바리스타", "FOH", "다이닝",
             "레스토랑")),
    ("063", ("여행사", "여행", "투어", "객실", "호텔", "프론트 데스크", "컨시어지", "레지던스")),
    ("061", ("피부관리", "메이크업", "헤어", "네일")),
    ("066", ("보안요원", "Security Guard", "경호")),
    ("067", ("경비원", "경비")),
    ("069", ("미화원", "청소", "방역")),
    # 운전·운송·판매.
    ("07A", ("수행기사", "운전원", "운전기사", "운전(수행)", "화물차", "운전직", "배반차")),
    ("07C", ("배송", "납품", "택배", "물류", "배달")),
    ("076", ("개통", "온라인판매", "휴대폰")),
    ("075", ("판매사원", "판매 및", "매장 책임자", "매장관리", "직영점 매니저", "점장", "Retail")),
    ("071", ("부동산",)),
    # 사무. 회계 before 금융: "4대보험" is payroll work.
    ("018", ("경리", "회계", "재무", "세무", "기장", "결산", "급여", "원천세", "4대보험")),
    ("01D", ("신용대출", "대출", "보험", "캐피탈", "은행")),
    ("017", ("총무", "인사팀", "HR", "경영지원")),
    ("01B", ("사무보조", "사무직", "전산사무", "행정", "비서", "IR", "공시", "업무지원")),
    # 교육.
    ("032", ("영어 선생님", "영어교육", "어학원", "국어 선생님", "외국어")),
    ("034", ("학습매니저", "강사", "선생님", "원장")),
    # 예술·디자인·방송.
    ("056", ("웹디자이너", "UX", "UI", "모바일디자인", "앱디자인")),
    ("055", ("디자이너", "디자인", "실내건축")),
    ("058", ("캐스팅", "음반", "행사 기획", "국제회의")),
    ("057", ("편집자", "영상편집", "유튜브", "PD", "촬영")),
    ("051", ("작가", "번역", "통역", "교열", "에디터")),
    ("021", ("연구원", "임상", "약효", "생명과학")),
    # 경영·기획·마케팅 last: "기획" and "마케팅" appear in titles of many other jobs.
    ("015", ("마케팅", "마케터", "Marketing", "홍보", "PR", "브랜드매니저", "BM", "MD", "AMD",
             "상품기획", "사업기획", "사업전략", "사업담당", "기획", "컨설턴트", "컨설팅",
             "Business Development", "프로젝트 관리", "PM")),
)
# fmt: on


def _keyword_pattern(keyword: str) -> str:
    escaped = re.escape(keyword)
    if keyword.isascii():
        # Whole ASCII words only: the neighbours may be Korean, never Latin letters.
        return rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
    return escaped


@cache
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (code, re.compile("|".join(_keyword_pattern(k) for k in keywords), re.IGNORECASE))
        for code, keywords in KEYWORD_TABLE
    )


def _first_code(text: str) -> str | None:
    for code, pattern in _compiled():
        if pattern.search(text):
            return code
    return None


def guess_occupation(title: str, tags: Sequence[str] = ()) -> Parsed[str | None]:
    """The occupation code a posting's title (or, failing that, its tags) points to.

    >>> guess_occupation("간호간병통합병동 간호조무사(3교대) 모집").value
    '044'
    >>> guess_occupation("간병/돌봄 플랫폼 고객상담·서비스 운영 매니저 채용").value
    '01A'
    >>> guess_occupation("[사업확장] 각 부문 신규 채용",
    ...                  ["기술지원", "백엔드/서버개발", "앱개발", "웹개발", "유지보수"]).value
    '024'
    >>> guess_occupation("알피바이오 신입/경력 채용",
    ...                  ["기술지원", "보안컨설팅", "유지보수", "정보보안", "IT컨설팅"]).value
    '025'
    >>> guess_occupation("[직영] 26년 각 부문 STAFF 모집")
    Parsed(value=None, note='no keyword of the table in title or tags; occupation_code left empty')
    """
    text = unicodedata.normalize("NFKC", title)
    code = _first_code(text)
    if code is not None:
        return Parsed(code)
    order = {code: i for i, (code, _) in enumerate(KEYWORD_TABLE)}
    votes = Counter(c for tag in tags if (c := _first_code(unicodedata.normalize("NFKC", tag))))
    if votes:
        best = max(votes.items(), key=lambda item: (item[1], -order[item[0]]))
        return Parsed(best[0])
    return Parsed(None, "no keyword of the table in title or tags; occupation_code left empty")
