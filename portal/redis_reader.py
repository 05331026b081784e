"""Every Redis read of the portal, as the read-only ACL user ``jobmatch-portal``.

Keys follow the contract (docs/portal.md). The braces are literal Redis Cluster hash tags:
seeker ``S42`` has its list at ``jobmatch:reco:seeker:{S42}``, so the list, its ``:meta``
and its ``:why`` share a slot and the worker replaces them together in one Lua script.
The key names are spelled out here from the public contract (not imported from the
workers' code) so that this module reads like what a portal in any language does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis import exceptions as redis_errors

from portal.listing import (
    Candidate,
    ListItem,
    PostingCandidates,
    PostingDisplay,
    SeekerList,
    parse_reasons,
)
from settings import Settings

PORTAL_USER = "jobmatch-portal"
# Ids as the contract allows them; anything else never reaches a Redis key.
ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# A concurrent refresh between the reads of one list is retried this many times.
_CONSISTENT_READ_ATTEMPTS = 3


class RedisUnavailable(Exception):
    """Redis cannot be read: down, wrong password or missing permission. Says what to do."""


# Sorted-set scores are integers, relevance in billionths: 812345679 is 0.812345679.
SCORE_SCALE = 1_000_000_000


def relevance(redis_score: float) -> float:
    """``relevance(812345679.0)`` -> ``0.812345679``: a stored score as a relevance in [0, 1]."""
    return redis_score / SCORE_SCALE


def seeker_list_key(prefix: str, seeker_id: str) -> str:
    """``seeker_list_key("jobmatch", "S42")`` -> ``"jobmatch:reco:seeker:{S42}"``."""
    return f"{prefix}:reco:seeker:{{{seeker_id}}}"


def posting_candidates_key(prefix: str, posting_id: str) -> str:
    """The employers' view: ``jobmatch:reco:posting:{P100}``."""
    return f"{prefix}:reco:posting:{{{posting_id}}}"


def posting_display_key(prefix: str, posting_id: str) -> str:
    """The display fields of a posting: ``jobmatch:posting:{P100}``."""
    return f"{prefix}:posting:{{{posting_id}}}"


def _glob_escape(text: str) -> str:
    # SCAN MATCH is a glob: a prefix with * ? [ ] \ must match literally. Braces are plain.
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _epoch_ms(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None  # a bad stamp must not hide the list


class PortalReader:
    """Reads seekers' lists, posting candidates and display fields from Redis.

    Build it with :meth:`connect` (the portal user from ``Settings``) or pass any
    ``redis.asyncio.Redis`` created with ``decode_responses=True``.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        key_prefix: str = "jobmatch",
        where: str = "Redis",
        tls: bool = False,
    ) -> None:
        self.client = client
        self.key_prefix = key_prefix
        self._where = where
        self._tls = tls

    @classmethod
    def connect(cls, settings: Settings) -> PortalReader:
        """A reader logged in as ``jobmatch-portal``; connects lazily on the first read.

        A ``rediss://`` URL is Redis over TLS, verified against ``JOBMATCH_REDIS_TLS_CAFILE``
        (which :meth:`Settings.redis_url_for` puts into the URL as ``ssl_ca_certs``)."""
        url = settings.redis_url_for(PORTAL_USER, settings.redis_portal_password)
        client = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2.0, socket_timeout=5.0
        )
        parts = urlsplit(settings.redis_url)
        where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
        return cls(
            client, key_prefix=settings.key_prefix, where=where, tls=parts.scheme == "rediss"
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def ping(self) -> None:
        """Raise :class:`RedisUnavailable` unless Redis answers as the portal user."""
        with self._translate_errors():
            await self.client.ping()

    async def seeker_list(self, seeker_id: str) -> SeekerList:
        """The live list of one seeker, with reasons and display fields, by relevance.

        An unknown seeker gives an empty list with no ``updated_at``.
        """
        key = seeker_list_key(self.key_prefix, seeker_id)
        with self._translate_errors():
            ranked, why, meta = await self._consistent_list_read(key)
            displays = await self.postings([posting_id for posting_id, _ in ranked])
        items = tuple(
            ListItem(
                rank=rank,
                posting_id=posting_id,
                score=relevance(score),
                reasons=parse_reasons(why.get(posting_id)),
                posting=displays[posting_id],
            )
            for rank, (posting_id, score) in enumerate(ranked, start=1)
        )
        return SeekerList(
            seeker_id=seeker_id,
            items=items,
            updated_at=_epoch_ms(meta.get("updated_at")),
            model_version=meta.get("model_version") or None,
            reason=meta.get("reason") or None,
        )

    async def _consistent_list_read(
        self, key: str
    ) -> tuple[list[tuple[str, float]], dict[str, str], dict[str, str]]:
        # The portal user may not run MULTI or scripts, so one pipeline reads the set, :why
        # and :meta, bracketed by :meta's updated_at. The worker rewrites all three in one
        # Lua script, so equal stamps mean no refresh landed in between; else read again.
        for _ in range(_CONSISTENT_READ_ATTEMPTS):
            pipe = self.client.pipeline(transaction=False)
            pipe.hget(f"{key}:meta", "updated_at")
            pipe.zrange(key, 0, -1, desc=True, withscores=True)
            pipe.hgetall(f"{key}:why")
            pipe.hgetall(f"{key}:meta")
            stamp_before, ranked, why, meta = await pipe.execute()
            if stamp_before == meta.get("updated_at"):
                break
        return ranked, why, meta

    async def postings(self, posting_ids: list[str]) -> dict[str, PostingDisplay]:
        """Display fields of many postings in one round trip; missing hashes have found=False."""
        if not posting_ids:
            return {}
        with self._translate_errors():
            pipe = self.client.pipeline(transaction=False)
            for posting_id in posting_ids:
                pipe.hgetall(posting_display_key(self.key_prefix, posting_id))
            hashes = await pipe.execute()
        return {
            posting_id: PostingDisplay.from_hash(posting_id, fields)
            for posting_id, fields in zip(posting_ids, hashes, strict=True)
        }

    async def posting_candidates(self, posting_id: str, *, limit: int = 100) -> PostingCandidates:
        """A posting's display fields and its best ``limit`` candidates (employers' view)."""
        with self._translate_errors():
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(posting_display_key(self.key_prefix, posting_id))
            pipe.zrange(
                posting_candidates_key(self.key_prefix, posting_id),
                0,
                limit - 1,
                desc=True,
                withscores=True,
            )
            fields, ranked = await pipe.execute()
        return PostingCandidates(
            posting=PostingDisplay.from_hash(posting_id, fields),
            candidates=tuple(
                Candidate(rank=rank, seeker_id=seeker_id, score=relevance(score))
                for rank, (seeker_id, score) in enumerate(ranked, start=1)
            ),
        )

    async def sample_seekers(self, *, limit: int = 12, max_calls: int = 50) -> list[str]:
        """Some seekers that have a list, found by a bounded SCAN (the portal may not KEYS)."""
        return await self._sample_ids(f"{self.key_prefix}:reco:seeker:", limit, max_calls)

    async def sample_postings(self, *, limit: int = 12, max_calls: int = 50) -> list[str]:
        """Some postings that have candidates, found the same way."""
        return await self._sample_ids(f"{self.key_prefix}:reco:posting:", limit, max_calls)

    async def _sample_ids(self, head: str, limit: int, max_calls: int) -> list[str]:
        # "{*}" matches the list keys only: ":meta" and ":why" do not end in "}".
        pattern = _glob_escape(head) + "{*}"
        found: set[str] = set()
        cursor = 0
        with self._translate_errors():
            for _ in range(max_calls):
                cursor, keys = await self.client.scan(cursor, match=pattern, count=1000)
                # Keys are str: the client decodes responses (see __init__).
                found.update(str(key)[len(head) + 1 : -1] for key in keys)
                if cursor == 0 or len(found) >= limit:
                    break
        return sorted(found)[:limit]

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except redis_errors.AuthenticationError as exc:
            raise RedisUnavailable(
                f"Redis at {self._where} refused the {PORTAL_USER} login ({exc}): check "
                "JOBMATCH_REDIS_PORTAL_PASSWORD against deploy/redis/dev.env"
            ) from exc
        except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
            hint = (
                "check JOBMATCH_REDIS_TLS_CAFILE and that the server speaks TLS there"
                if self._tls
                else "run `make up` first"
            )
            raise RedisUnavailable(
                f"Redis is not reachable at {self._where} ({exc}): {hint}"
            ) from exc
        except redis_errors.NoPermissionError as exc:
            raise RedisUnavailable(
                f"Redis at {self._where} denied a read to {PORTAL_USER} ({exc}): check that "
                f"its ACL allows reading '{self.key_prefix}:*' (deploy/redis/users.acl.template)"
            ) from exc
