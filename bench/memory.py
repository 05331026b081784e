"""Scenario 5: Redis bytes per seeker list and worker RSS per seeker and per posting.

Redis: ``MEMORY USAGE <key> SAMPLES 0`` (exact) over a random sample of the loaded
market's seekers, for the list (sorted set) and, reported apart, its ``:meta`` and
``:why`` hashes; the baseline is the payload itself (member ids plus 8-byte scores; field
names and values).

Worker: the RSS of a freshly started worker before anything is loaded, after the
market's postings and after its profiles (:func:`bench.pipeline.loaded_worker`), scaled to
10k postings and 100k seekers; the baseline is the JSON the contract carries for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.pipeline import LoadedWorker
from bench.results import Row, Section, fmt
from streams.redis_keys import SCORE_SCALE, RedisKeys

LIST_TARGET_BYTES = 3000  # "<= 3 KB of Redis per seeker list" (issue 7), read strictly


@dataclass
class RedisMemory:
    lists: int
    list_bytes: list[int]
    meta_bytes: list[int]
    why_bytes: list[int]
    lengths: list[int]
    list_payload: list[int]
    meta_payload: list[int]
    why_payload: list[int]
    display_bytes: list[int]
    employer_bytes: list[int]
    float_list_bytes: list[int]  # the same lists stored with float scores


def redis_memory(loaded: LoadedWorker, sample: int, *, seed: int = 3) -> RedisMemory:
    keys = RedisKeys(loaded.settings.key_prefix)
    seekers = [p.seeker_id for p in loaded.bench.profiles]
    chosen = random.Random(seed).sample(seekers, min(sample, len(seekers)))
    postings = sorted(loaded.bench.posting_ids)
    chosen_postings = random.Random(seed).sample(postings, min(sample, len(postings)))
    client = loaded.env.redis()
    try:
        pipe = client.pipeline(transaction=False)
        for sid in chosen:
            for key in (keys.seeker_list(sid), keys.seeker_meta(sid), keys.seeker_why(sid)):
                pipe.memory_usage(key, samples=0)
            pipe.zrange(keys.seeker_list(sid), 0, -1, withscores=True)
            pipe.hgetall(keys.seeker_meta(sid))
            pipe.hgetall(keys.seeker_why(sid))
        replies = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for pid in chosen_postings:
            pipe.memory_usage(keys.posting_display(pid), samples=0)
            pipe.memory_usage(keys.posting_list(pid), samples=0)
        posting_replies = pipe.execute()
        float_list_bytes = _as_float_scores(client, keys, replies[3::6])
    finally:
        client.close()
    out = RedisMemory(0, [], [], [], [], [], [], [], [], [], float_list_bytes)
    for i in range(len(chosen)):
        lst, meta, why, members, meta_fields, why_fields = replies[6 * i : 6 * i + 6]
        if lst is None:  # no list: a seeker nothing matched (counted in coverage, not here)
            continue
        out.lists += 1
        out.list_bytes.append(lst)
        out.meta_bytes.append(meta or 0)
        out.why_bytes.append(why or 0)
        out.lengths.append(len(members))
        out.list_payload.append(sum(len(m) + 8 for m, _ in members))
        out.meta_payload.append(sum(len(k) + len(v) for k, v in meta_fields.items()))
        out.why_payload.append(sum(len(k) + len(v) for k, v in why_fields.items()))
    for i in range(len(chosen_postings)):
        display, employer = posting_replies[2 * i : 2 * i + 2]
        if display is not None:
            out.display_bytes.append(display)
        if employer is not None:
            out.employer_bytes.append(employer)
    return out


def _as_float_scores(
    client: Any, keys: RedisKeys, lists: list[list[tuple[str, float]]]
) -> list[int]:
    """Bytes of each list stored with float relevances instead of integer billionths
    (the obvious encoding), in a scratch key deleted at once."""
    scratch = keys.seeker_list("bench-float-scores")
    out: list[int] = []
    for members in lists:
        if not members:
            continue
        pipe = client.pipeline(transaction=False)
        pipe.zadd(scratch, {m: score / SCORE_SCALE for m, score in members})
        pipe.memory_usage(scratch, samples=0)
        pipe.unlink(scratch)
        out.append(pipe.execute()[1])
    return out


def _mean(values: list[int]) -> float | None:
    return float(np.mean(values)) if values else None


def memory_section(loaded: LoadedWorker, mem: RedisMemory) -> tuple[Section, Row]:
    s = Section("memory", "5. Memory")
    target = s.add(
        "Redis per seeker list (sorted set), mean over the sample",
        _mean(mem.list_bytes),
        "bytes",
        _mean(mem.list_payload),
        "payload: posting ids + 8-byte scores",
    )
    full = [b for b, n in zip(mem.list_bytes, mem.lengths, strict=True) if n >= 120]
    full_payload = [b for b, n in zip(mem.list_payload, mem.lengths, strict=True) if n >= 120]
    s.add(
        "Redis per seeker list, scores as integer billionths (as written)",
        _mean(mem.list_bytes),
        "bytes",
        _mean(mem.float_list_bytes),
        "the same lists with float scores",
    )
    if full:
        s.add(
            "Redis per full list (120 members)",
            _mean(full),
            "bytes",
            _mean(full_payload),
            "payload",
        )
    for name, used, payload in (
        ("Redis per :meta hash", mem.meta_bytes, mem.meta_payload),
        ("Redis per :why hash", mem.why_bytes, mem.why_payload),
    ):
        s.add(name, _mean(used), "bytes", _mean(payload), "payload")
    p, n = len(loaded.bench.posting_ids), len(loaded.bench.profiles)
    rss = loaded.rss
    per_postings = (rss["postings"] - rss["empty"]) * 10_000 / p
    per_seekers = (rss["profiles"] - rss["postings"]) * 100_000 / n
    s.add(
        "worker RSS per 10k open postings",
        per_postings / 2**20,
        "MiB",
        loaded.data_bytes["postings"] * 10_000 / p / 2**20,
        "their posting events as JSON",
    )
    s.add(
        "worker RSS per 100k seekers (profile, history, list, indexes)",
        per_seekers / 2**20,
        "MiB",
        loaded.data_bytes["profiles"] * 100_000 / n / 2**20,
        "their profile events as JSON",
    )
    s.data = {
        "seekers_sampled": mem.lists,
        "list_bytes_mean": _mean(mem.list_bytes),
        "list_bytes_p95": float(np.percentile(mem.list_bytes, 95)) if mem.list_bytes else None,
        "full_list_bytes_mean": _mean(full),
        "float_list_bytes_mean": _mean(mem.float_list_bytes),
        "meta_bytes_mean": _mean(mem.meta_bytes),
        "why_bytes_mean": _mean(mem.why_bytes),
        "posting_display_bytes_mean": _mean(mem.display_bytes),
        "employer_list_bytes_mean": _mean(mem.employer_bytes),
        "worker_rss_bytes": rss,
        "worker_rss_per_10k_postings_bytes": per_postings,
        "worker_rss_per_100k_seekers_bytes": per_seekers,
    }
    lengths = np.asarray(mem.lengths) if mem.lengths else np.zeros(1)
    s.notes.append(
        f"Redis: `MEMORY USAGE ... SAMPLES 0` over {mem.lists:,} seekers with a list, drawn "
        f"at random from the loaded market (list length median {int(np.median(lengths))}, "
        f"{int((lengths >= 120).sum()):,} full); 95th percentile of a list "
        f"{fmt(float(np.percentile(mem.list_bytes, 95)) if mem.list_bytes else None)} bytes. "
        "Redis keeps a sorted set of up to 128 members as a listpack "
        "(`zset-max-listpack-entries`), where it stores an integer score in a few bytes but "
        "any other score as its 17-digit decimal string (about 20 bytes): hence scores as "
        "integer billionths of the relevance (docs/portal.md). The float baseline is each "
        "sampled list copied with float scores into a scratch key. "
        f"Per posting: display hash {fmt(_mean(mem.display_bytes))} bytes, employer list "
        f"{fmt(_mean(mem.employer_bytes))} bytes (means)."
    )
    s.notes.append(
        f"Worker RSS: a fresh `jobmatch worker` measured empty "
        f"({rss['empty'] / 2**20:.0f} MiB), after {p:,} postings "
        f"({rss['postings'] / 2**20:.0f} MiB) and after {n:,} profiles with their ranked "
        f"lists ({rss['profiles'] / 2**20:.0f} MiB), scaled linearly. The seekers' share "
        "includes the Faust table (in memory), the seeker index and each list's "
        "employer-list bookkeeping."
    )
    return s, target


def list_target_met(row: Row) -> bool | None:
    return None if row.value is None else row.value <= LIST_TARGET_BYTES
