/**
 * The Redis Lua scripts of the cluster mode (src/server/cluster.ts). Each runs atomically in Redis,
 * so a claim, a leave, a reap or a relay sees and changes the room as one step, and the presence it
 * publishes is ordered with every other change of that room.
 *
 * Layout (`P` is the key prefix):
 * - `P room:<room>`: a hash, peer id → owner `<node>/<connection>`, plus fields that start with a
 *   space (which cannot start a peer id): `' seq'` holding the room's last event number, and
 *   `' k:<peer id>'` holding the SHA-256 of the holder's join secret, when it gave one. It is also
 *   the room's pub/sub channel. Its TTL is renewed by every node's heartbeat that has members in it.
 * - `P node:<node>`: the node's liveness key, with a TTL renewed by its heartbeat; also the node's
 *   channel, on which it gets `s <connection>\n<signal frame>` and `r <connection>` (replaced).
 *
 * Room events are published as `<seq> <presence frame JSON>`; `seq` grows with Redis' clock (µs), so
 * it keeps growing when Redis restarts empty.
 */

/** Shared by every script: the next event number of the room, and the reaping of dead owners. */
const COMMON = `
local function nextSeq(hash)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('HGET', hash, ' seq') or '0')
  local seq = math.max(now, last + 1)
  redis.call('HSET', hash, ' seq', string.format('%.0f', seq))
  return seq
end
local function presence(hash, peerId, present)
  local seq = nextSeq(hash)
  redis.call('PUBLISH', hash, string.format('%.0f', seq) .. ' ' ..
    cjson.encode({v = 1, type = 'presence', peerId = peerId, present = present}))
  return seq
end
local function nodeOf(owner)
  return string.match(owner, '^([^/]+)/')
end
local function alive(prefix, owner)
  local node = nodeOf(owner)
  return node ~= nil and redis.call('EXISTS', prefix .. 'node:' .. node) == 1
end
local function isPeer(field)
  return string.sub(field, 1, 1) ~= ' '
end
local function peersOf(hash)
  local peers = {}
  local fields = redis.call('HKEYS', hash)
  for i = 1, #fields do
    if isPeer(fields[i]) then peers[#peers + 1] = fields[i] end
  end
  return peers
end
local function reap(hash, prefix)
  local fields = redis.call('HGETALL', hash)
  for i = 1, #fields, 2 do
    if isPeer(fields[i]) and not alive(prefix, fields[i + 1]) then
      redis.call('HDEL', hash, fields[i], ' k:' .. fields[i])
      presence(hash, fields[i], false)
    end
  end
end
local function dropIfEmpty(hash)
  if redis.call('HLEN', hash) <= 1 then redis.call('DEL', hash) end
end
`;

/**
 * CLAIM: KEYS = [room hash]; ARGV = [prefix, peerId, owner, ttlMs, mode, mayReplace, digest,
 * maxPeers]. Reaps dead owners, then makes `owner` hold `peerId`. A live previous owner on another
 * connection is, in mode `join`, replaced (told `r` on its node's channel) if `mayReplace` is `1` or
 * `digest` is not empty and equals the holder's, and else keeps the id (reply `{2}`); in mode
 * `announce` (re-announcing after Redis came back) it keeps the id (reply `{0}`). A join that would
 * make the room larger than `maxPeers` (0: no cap) is refused (reply `{3}`). Presence `true` is
 * published only when the id was free (a replaced peer never left).
 * Returns `{ok (1|0|2|3), seq (string), peer ids of the room...}`.
 */
export const CLAIM = `${COMMON}
local hash, prefix, peerId, owner, ttl, mode = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local mayReplace, digest, maxPeers = ARGV[6], ARGV[7], tonumber(ARGV[8])
local keyField = ' k:' .. peerId
redis.call('SET', prefix .. 'node:' .. nodeOf(owner), '1', 'PX', ttl)
reap(hash, prefix)
local prev = redis.call('HGET', hash, peerId)
if prev and prev ~= owner then
  if mode == 'announce' then return {0, '0'} end
  if mayReplace ~= '1' and (digest == '' or redis.call('HGET', hash, keyField) ~= digest) then
    return {2, '0'}
  end
  redis.call('PUBLISH', prefix .. 'node:' .. nodeOf(prev), 'r ' .. string.sub(prev, #nodeOf(prev) + 2))
end
if not prev and maxPeers > 0 and #peersOf(hash) >= maxPeers then return {3, '0'} end
redis.call('HSET', hash, peerId, owner)
if digest ~= '' then redis.call('HSET', hash, keyField, digest) else redis.call('HDEL', hash, keyField) end
local seq
if prev then seq = nextSeq(hash) else seq = presence(hash, peerId, true) end
redis.call('PEXPIRE', hash, ttl)
local reply = {1, string.format('%.0f', seq)}
for _, id in ipairs(peersOf(hash)) do
  if id ~= peerId then reply[#reply + 1] = id end
end
return reply
`;

/**
 * LEAVE: KEYS = [room hash]; ARGV = [prefix, peerId, owner]. If `owner` still holds `peerId`, frees
 * it and publishes presence `false`; a room left with no peer is deleted. Returns 1 if it held.
 */
export const LEAVE = `${COMMON}
local hash, prefix, peerId, owner = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', hash, peerId) ~= owner then return 0 end
redis.call('HDEL', hash, peerId, ' k:' .. peerId)
presence(hash, peerId, false)
dropIfEmpty(hash)
return 1
`;

/**
 * HEARTBEAT: KEYS = [node key, room hashes...]; ARGV = [prefix, ttlMs]. Renews the node's and the
 * rooms' TTLs and reaps the members of dead nodes from those rooms (presence `false` for each).
 */
export const HEARTBEAT = `${COMMON}
local prefix, ttl = ARGV[1], ARGV[2]
redis.call('SET', KEYS[1], '1', 'PX', ttl)
for i = 2, #KEYS do
  reap(KEYS[i], prefix)
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('PEXPIRE', KEYS[i], ttl)
    dropIfEmpty(KEYS[i])
  end
end
return 1
`;

/**
 * RELAY: KEYS = [room hash]; ARGV = [prefix, to, signal frame JSON]. Publishes the frame to the
 * node that holds `to`. Returns the number of subscribers that got it (0: nobody listens on that
 * node's channel), or -1 when no live node holds `to`.
 */
export const RELAY = `${COMMON}
local hash, prefix, to, frame = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('HGET', hash, to)
if not owner or not alive(prefix, owner) then return -1 end
local node = nodeOf(owner)
return redis.call('PUBLISH', prefix .. 'node:' .. node, 's ' .. string.sub(owner, #node + 2) .. '\\n' .. frame)
`;

/** SNAPSHOT: KEYS = [room hash]. Returns `{seq, peer ids...}` of the room as it is now. */
export const SNAPSHOT = `${COMMON}
local hash = KEYS[1]
local reply = {redis.call('HGET', KEYS[1], ' seq') or '0'}
for _, id in ipairs(peersOf(hash)) do reply[#reply + 1] = id end
return reply
`;
