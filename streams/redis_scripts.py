"""Lua scripts that replace a Redis value atomically, so readers never see half a list.

Each script touches keys of one hash slot only (ids are hash tags), which keeps them valid
on Redis Cluster. They run under the worker's ACL user, whose key patterns still apply.

Each begins with a ``#!lua`` shebang (no flags). Without it, Redis lets a script that has
written once (our first command is a DEL) go on writing past ``maxmemory``, so a full
Redis would never refuse a list write and would grow without bound; with it, Redis refuses
the whole script up front with an OOM error, which the writer reports
(streams.redis_health) and retries once memory is freed.
"""

from __future__ import annotations


def _script(body: str) -> str:
    """``body`` with the ``#!lua`` shebang first (see the module docstring)."""
    return "#!lua\n" + body.lstrip("\n")


# A seeker's three keys (list, meta, why) live for ARGV[1] seconds more (0: no expiry).
_EXPIRE_SEEKER_KEYS = """
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
"""

# KEYS: list, meta, why.
# ARGV: ttl_seconds, updated_at, model_version, reason, n,
#       n x (score, posting_id), n x (posting_id, why_json)
REPLACE_SEEKER_LIST = _script(
    (
        """
redis.call('DEL', KEYS[1], KEYS[3])
local n = tonumber(ARGV[5])
if n > 0 then
  local z = {}
  for i = 0, n - 1 do
    z[#z + 1] = ARGV[6 + 2 * i]
    z[#z + 1] = ARGV[7 + 2 * i]
  end
  redis.call('ZADD', KEYS[1], unpack(z))
  local h = {}
  local base = 6 + 2 * n
  for i = 0, n - 1 do
    h[#h + 1] = ARGV[base + 2 * i]
    h[#h + 1] = ARGV[base + 2 * i + 1]
  end
  redis.call('HSET', KEYS[3], unpack(h))
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[2], 'model_version', ARGV[3], 'reason', ARGV[4])
"""
    )
    + _EXPIRE_SEEKER_KEYS
    + """return n
"""
)

# KEYS: list, meta, why. ARGV: ttl_seconds, updated_at, reason, n_remove, n_add,
#       n_remove x posting_id, n_add x (score, posting_id), n_add x (posting_id, why_json)
# Changes a few members of a list that exists (a posting joined, left or was re-scored),
# keeping the rest as written. Returns -1, changing nothing, when members are to be added
# to a list Redis does not have (never written, emptied or expired): the caller then
# writes the whole list.
UPDATE_SEEKER_LIST = _script(
    (
        """
local n_remove = tonumber(ARGV[4])
local n_add = tonumber(ARGV[5])
if redis.call('EXISTS', KEYS[1]) == 0 then
  if n_add > 0 then
    return -1
  end
  return 0
end
local first = 6
if n_remove > 0 then
  redis.call('ZREM', KEYS[1], unpack(ARGV, first, first + n_remove - 1))
  redis.call('HDEL', KEYS[3], unpack(ARGV, first, first + n_remove - 1))
end
first = first + n_remove
if n_add > 0 then
  redis.call('ZADD', KEYS[1], unpack(ARGV, first, first + 2 * n_add - 1))
  redis.call('HSET', KEYS[3], unpack(ARGV, first + 2 * n_add, first + 4 * n_add - 1))
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[2], 'reason', ARGV[3])
"""
    )
    + _EXPIRE_SEEKER_KEYS
    + """return n_remove + n_add
"""
)

# KEYS: a sorted set. ARGV: expire_at (unix seconds, 0 = none), n_remove, members to
# remove..., then (score, member) pairs to add. Removes and adds in one step.
UPDATE_SORTED_SET = _script(
    """
local n_remove = tonumber(ARGV[2])
if n_remove > 0 then
  redis.call('ZREM', KEYS[1], unpack(ARGV, 3, 2 + n_remove))
end
local first_add = 3 + n_remove
if #ARGV >= first_add then
  redis.call('ZADD', KEYS[1], unpack(ARGV, first_add, #ARGV))
end
local expire_at = tonumber(ARGV[1])
if expire_at > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('EXPIREAT', KEYS[1], expire_at)
end
return redis.call('ZCARD', KEYS[1])
"""
)

# KEYS: a hash. ARGV: expire_at (unix seconds, 0 = none), field, value, field, value...
REPLACE_HASH = _script(
    """
redis.call('DEL', KEYS[1])
if #ARGV > 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2, #ARGV))
  local expire_at = tonumber(ARGV[1])
  if expire_at > 0 then
    redis.call('EXPIREAT', KEYS[1], expire_at)
  end
end
return 1
"""
)

# KEYS: a worker's marker. ARGV: the epoch of the worker's last acknowledged write, ttl.
# Returns the marker's value before (false when it was gone), and leaves it at the newer
# of the two, so a check racing a write never sets the marker back.
CHECK_MARKER = _script(
    """
local before = redis.call('GET', KEYS[1])
local epoch = tonumber(ARGV[1])
if before and tonumber(before) > epoch then
  epoch = tonumber(before)
end
redis.call('SET', KEYS[1], epoch, 'EX', ARGV[2])
return before
"""
)

# KEYS: a worker's marker. ARGV: the epoch of the writer's last acknowledged write, the
# next one, ttl. Advances the marker only from where this worker left it: a marker Redis
# lost or set back stays so, for streams.redis_rebuild.MarkerWatch to find.
ADVANCE_MARKER = _script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""
)
