// jobmatch reference portal: plain JavaScript, no build step, no dependencies.
//
// Views are chosen by the URL hash, so every view has a shareable address:
//   #/seeker/S42?sort=wage   a seeker's list (sort: relevance, wage, deadline, newest)
//   #/posting/P100           a posting's candidates (the employers' view)
// The current view is fetched again every few seconds (?poll=MILLISECONDS overrides),
// and redrawn only when the answer changed, so scrolling is not disturbed.
"use strict";

const POLL_MS = Math.max(500, Number(new URLSearchParams(location.search).get("poll")) || 3000);
const SORTS = ["relevance", "wage", "deadline", "newest"];
const EMPLOYMENT_TYPES = {
  regular: "정규직", contract: "계약직", part_time: "시간제", daily: "일용직",
  dispatch: "파견직", intern: "인턴",
};
const WAGE_TYPES = { hourly: "시급", daily: "일급", monthly: "월급", annual: "연봉" };
const REFRESH_REASONS = {
  profile: "프로필 변경", posting: "공고 변경", interaction: "구직 활동",
  sweep: "정기 재계산", model: "모델 갱신",
};

const $ = (id) => document.getElementById(id);
let lastBody = null; // the last answer drawn, to skip identical redraws
let requestSeq = 0; // answers to an older request than the latest are dropped

// Build DOM from data with textContent only: titles and names come from job sites and
// must never be parsed as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function won(amount) {
  if (amount >= 100000 && amount % 10000 === 0) {
    return `${(amount / 10000).toLocaleString("ko-KR")}만원`;
  }
  return `${amount.toLocaleString("ko-KR")}원`;
}

function wageText(wage) {
  if (!wage) return "임금 협의";
  const label = WAGE_TYPES[wage.type] || wage.type;
  let range;
  if (wage.min !== null && wage.max !== null && wage.min !== wage.max) {
    range = `${won(wage.min).replace(/원$/, "")}~${won(wage.max)}`;
  } else if (wage.min !== null) {
    range = wage.max === null ? `${won(wage.min)} 이상` : won(wage.min);
  } else {
    range = `${won(wage.max)} 이하`;
  }
  // Hourly, daily and annual wages also show the monthly figure the wage sort compares.
  const monthly = wage.type !== "monthly" && wage.monthly
    ? ` (월 환산 약 ${won(Math.round(wage.monthly / 10000) * 10000)})` : "";
  return `${label} ${range}${monthly}`;
}

function dateText(ms) {
  return new Date(ms).toLocaleDateString("ko-KR", { year: "numeric", month: "2-digit", day: "2-digit" });
}

function postingCard(item, posting, postingId, withReasons) {
  const title = posting.found
    ? (posting.title || "(제목 없음)")
    : `공고 ${postingId} (표시 정보 없음)`;
  const where = [posting.employer_name, posting.region_name].filter(Boolean).join(" · ");
  // A posting without display fields has nothing to state: no wage is not "협의" here.
  const facts = posting.found && el("p", { class: "facts" },
    el("span", { class: "wage" }, wageText(posting.wage)),
    el("span", { class: "deadline" }, posting.deadline ? `마감 ${posting.deadline}` : "채용시까지"),
    posting.posted_at ? el("span", { class: "posted" }, `등록 ${dateText(posting.posted_at)}`) : null,
    ...posting.employment_types.map((t) => el("span", { class: "type" }, EMPLOYMENT_TYPES[t] || t)),
    posting.occupation_code ? el("span", { class: "occupation" }, `직종 ${posting.occupation_code}`) : null,
  );
  const reasons = withReasons && item.reasons.length
    ? el("ul", { class: "reasons" }, ...item.reasons.map((r) => el("li", {}, r)))
    : null;
  const side = el("div", { class: "side" },
    item ? el("span", { class: "score", title: "추천 점수" }, `관련도 ${item.score.toFixed(3)}`) : null,
    item ? el("a", { class: "candidates-link", href: `#/posting/${encodeURIComponent(postingId)}` },
      "후보자 보기") : null,
  );
  return el("li", { class: posting.found ? "posting" : "posting missing", "data-posting-id": postingId },
    el("div", { class: "rank", title: "관련도 순위" }, item ? item.rank : ""),
    el("div", { class: "body" },
      el("h3", { class: "title" }, title),
      where ? el("p", { class: "employer" }, where) : null,
      facts,
      reasons,
    ),
    side,
  );
}

function drawSeeker(data) {
  $("seeker-title").textContent = `구직자 ${data.seeker_id}의 추천 공고`;
  $("sort").value = data.sort;
  const meta = [];
  if (data.updated_at) meta.push(`갱신 ${new Date(data.updated_at).toLocaleString("ko-KR")}`);
  if (data.model_version) meta.push(`모델 ${data.model_version}`);
  if (data.reason) meta.push(`사유: ${REFRESH_REASONS[data.reason] || data.reason}`);
  meta.push(`공고 ${data.items.length}건`);
  $("seeker-meta").textContent = meta.join(" · ");
  $("seeker-empty").hidden = data.items.length > 0;
  $("seeker-list").replaceChildren(
    ...data.items.map((item) => postingCard(item, item.posting, item.posting_id, true)));
}

function drawPosting(data) {
  $("posting-heading").textContent = `공고 ${data.posting_id}의 추천 후보자 (기업 화면)`;
  $("posting-card").replaceChildren(postingCard(null, data.posting, data.posting_id, false));
  $("candidates-empty").hidden = data.candidates.length > 0;
  $("candidate-list").replaceChildren(...data.candidates.map((c) =>
    el("li", { class: "candidate", "data-seeker-id": c.seeker_id },
      el("span", { class: "rank" }, c.rank),
      el("a", { href: `#/seeker/${encodeURIComponent(c.seeker_id)}` }, `구직자 ${c.seeker_id}`),
      el("span", { class: "score" }, `적합도 ${c.score.toFixed(3)}`),
    )));
}

function currentRoute() {
  const match = location.hash.match(/^#\/(seeker|posting)\/([^?]+)(?:\?(.*))?$/);
  if (!match) return null;
  const params = new URLSearchParams(match[3] || "");
  const sort = SORTS.includes(params.get("sort")) ? params.get("sort") : "relevance";
  return { kind: match[1], id: decodeURIComponent(match[2]), sort };
}

function showView(name) {
  for (const view of ["welcome", "seeker-view", "employer-view"]) $(view).hidden = view !== name;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

async function fetchJson(url) {
  let response;
  try {
    response = await fetch(url, { cache: "no-store" });
  } catch {
    throw new Error("포털 서버에 연결할 수 없습니다. `jobmatch portal`이 실행 중인지 확인하세요.");
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try { detail = JSON.parse(text).error; } catch { /* not JSON: show the text */ }
    const prefix = response.status === 503 ? "Redis를 읽을 수 없습니다" : "요청 오류";
    throw new Error(`${prefix}: ${detail}`);
  }
  return text;
}

async function refresh() {
  const route = currentRoute();
  if (!route) {
    showView("welcome");
    return;
  }
  const seq = ++requestSeq;
  const id = encodeURIComponent(route.id);
  const url = route.kind === "seeker" ? `/api/seekers/${id}?sort=${route.sort}` : `/api/postings/${id}`;
  try {
    const body = await fetchJson(url);
    if (seq !== requestSeq) return;
    showError(null);
    $("poll-status").textContent =
      `마지막 확인 ${new Date().toLocaleTimeString("ko-KR")} · ${POLL_MS / 1000}초마다 갱신`;
    if (body === lastBody) return;
    lastBody = body;
    const data = JSON.parse(body);
    if (route.kind === "seeker") {
      drawSeeker(data);
      showView("seeker-view");
    } else {
      drawPosting(data);
      showView("employer-view");
    }
  } catch (error) {
    if (seq !== requestSeq) return;
    showError(error.message);
    $("poll-status").textContent = `갱신 실패 ${new Date().toLocaleTimeString("ko-KR")}`;
  }
}

async function loadSamples() {
  try {
    const data = JSON.parse(await fetchJson("/api/seekers?limit=8"));
    const links = data.seekers.map((id) =>
      el("a", { class: "sample", href: `#/seeker/${encodeURIComponent(id)}` }, id));
    $("seeker-samples").replaceChildren(...(links.length ? links : ["아직 없음"]));
  } catch (error) {
    $("seeker-samples").textContent = "불러오지 못함";
    showError(error.message);
  }
}

function go(hash) {
  lastBody = null;
  if (location.hash === hash) refresh();
  else location.hash = hash;
}

$("seeker-form").addEventListener("submit", (event) => {
  event.preventDefault();
  go(`#/seeker/${encodeURIComponent($("seeker-input").value.trim())}`);
});
$("posting-form").addEventListener("submit", (event) => {
  event.preventDefault();
  go(`#/posting/${encodeURIComponent($("posting-input").value.trim())}`);
});
$("sort").addEventListener("change", () => {
  const route = currentRoute();
  if (route && route.kind === "seeker") {
    go(`#/seeker/${encodeURIComponent(route.id)}?sort=${$("sort").value}`);
  }
});
window.addEventListener("hashchange", () => {
  lastBody = null;
  refresh();
});

loadSamples();
refresh();
setInterval(refresh, POLL_MS);
