-- jobstatus write script: every change to a job record goes through this one script, so the
-- transition check, the write, the TTL and the change notification happen atomically.
-- The contract is documented in docs/record-contract.md, and its cases are data in
-- Tests/Vectors/record-contract.json: a change here is a change there, tested both ways.
--
-- KEYS[1]  the job key: <key prefix><job id>, e.g. job:NBXk9EyErUZv1RhXgyvgg
-- ARGV[1]  the operation: create | progress | processed | failed | failed_with_error
-- ARGV[2…] name/value pairs:
--   create             eta (required), owner, ttl
--   progress           eta, ttl
--   processed          links or response_data (exactly one), status_code (2xx, default 200), ttl
--   failed             status_code (4xx/5xx, required), error (required), ttl
--   failed_with_error  message (required), ttl
--
-- Reply: { version, outcome } where outcome is created | updated | unchanged.
-- Errors (the first word is the code): INVALID, EXISTS, NOTFOUND, REFUSED, TOOLARGE.

local MAX_PAYLOAD_BYTES = 65536
local DEFAULT_PENDING_TTL = 86400
local DEFAULT_TERMINAL_TTL = 604800

local key = KEYS[1]
local op = ARGV[1]

local function fail(code, message)
  return redis.error_reply(code .. ' ' .. message)
end

local allowed = {
  create = { eta = true, owner = true, ttl = true },
  progress = { eta = true, ttl = true },
  processed = { links = true, response_data = true, status_code = true, ttl = true },
  failed = { status_code = true, error = true, ttl = true },
  failed_with_error = { message = true, ttl = true },
}
if key == nil or #KEYS ~= 1 then
  return fail('INVALID', 'exactly one key, the job key, is expected')
end
if op == nil or allowed[op] == nil then
  return fail('INVALID', 'unknown operation ' .. tostring(op) .. '; expected create, progress, processed, failed or failed_with_error')
end
if #ARGV % 2 ~= 1 then
  return fail('INVALID', 'arguments after the operation must be name/value pairs')
end
local args = {}
for i = 2, #ARGV, 2 do
  local name = ARGV[i]
  if not allowed[op][name] then
    return fail('INVALID', 'argument ' .. name .. ' is not accepted by ' .. op)
  end
  args[name] = ARGV[i + 1]
end

-- Every rule below is also a rule of the front's reader (RFC3339.swift, JSONScanner.swift,
-- JobReadOutcome.swift): what this script accepts, every front serves. Tests/Vectors/
-- record-contract.json holds the cases both sides are tested against, as data.
local find, byte, sub, floor = string.find, string.byte, string.sub, math.floor

-- RFC 3339 date-time (the ABNF: 'T' or 't', 'Z' or 'z' or a +hh:mm offset, a fraction of one to
-- nine digits), a real calendar date, 00-23 hours, 00-59 minutes, 00-60 seconds (a leap second
-- counts as the next minute), and an instant in years 0000-9999 once in UTC: the published form.
local MIN_ETA_MS = -62167219200000   -- 0000-01-01T00:00:00.000Z
local MAX_ETA_MS = 253402300799999   -- 9999-12-31T23:59:59.999Z
-- The front parses the eta on every poll: an unbounded fraction (8 MB of digits) cost each poll
-- ~40 ms. Nanoseconds are the finest any client's time type holds, so a fraction has at most 9
-- digits, and no valid eta is longer than 35 bytes (2026-06-30T10:00:00.123456789+02:00); longer
-- text is refused before it is scanned. RFC3339.swift has the same two bounds.
local MAX_FRACTION_DIGITS = 9
local MAX_ETA_BYTES = 35

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local doy = floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468
end

local function days_in_month(y, m)
  if m == 2 then
    return ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) and 29 or 28
  end
  return (m == 4 or m == 6 or m == 9 or m == 11) and 30 or 31
end

local function eta_milliseconds(text)
  if text == nil or #text > MAX_ETA_BYTES then return nil end
  local y, mo, d, h, mi, se, rest = string.match(text, '^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt](%d%d):(%d%d):(%d%d)(.*)$')
  if y == nil then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > days_in_month(y, mo) or h > 23 or mi > 59 or se > 60 then
    return nil
  end
  local fraction = string.match(rest, '^%.(%d+)')
  local ms = 0
  if fraction ~= nil then
    if #fraction > MAX_FRACTION_DIGITS then return nil end
    ms = tonumber(sub(fraction .. '00', 1, 3))
    rest = sub(rest, #fraction + 2)
  end
  local offset = 0
  if rest ~= 'Z' and rest ~= 'z' then
    local sign, oh, om = string.match(rest, '^([%+%-])(%d%d):(%d%d)$')
    if sign == nil or tonumber(oh) > 23 or tonumber(om) > 59 then return nil end
    offset = (tonumber(oh) * 60 + tonumber(om)) * (sign == '-' and -1 or 1)
  end
  local seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset * 60
  local instant = seconds * 1000 + ms
  if instant < MIN_ETA_MS or instant > MAX_ETA_MS then return nil end
  return instant
end

-- A TTL is what EXPIRE takes, and never more than the contract's maximum: whole seconds as
-- decimal digits, 1 to MAX_TTL_SECONDS (ten years).
local MAX_TTL_SECONDS = 315360000

local function parse_ttl(default)
  if args.ttl == nil then return default end
  if not find(args.ttl, '^[1-9]%d*$') or #args.ttl > 9 then return nil end
  local ttl = tonumber(args.ttl)
  if ttl > MAX_TTL_SECONDS then return nil end
  return ttl
end

-- UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing above U+10FFFF.
-- The end of the run of valid sequences that starts at j, or nil if a byte there starts none.
local function utf8_run_end(s, j)
  while true do
    local c, c2, c3, c4 = byte(s, j, j + 3)
    if c == nil or c < 128 then return j end
    if c >= 194 and c <= 223 then
      -- Two-byte characters (Cyrillic) come in runs: take two at a time when they do.
      if c2 == nil or c2 < 128 or c2 > 191 then return nil end
      if c3 ~= nil and c3 >= 194 and c3 <= 223 and c4 ~= nil and c4 >= 128 and c4 <= 191 then
        j = j + 4
      else
        j = j + 2
      end
    elseif c >= 224 and c <= 239 then
      if c3 == nil or c2 < (c == 224 and 160 or 128) or c2 > (c == 237 and 159 or 191)
        or c3 < 128 or c3 > 191 then
        return nil
      end
      j = j + 3
    elseif c >= 240 and c <= 244 then
      if c4 == nil or c2 < (c == 240 and 144 or 128) or c2 > (c == 244 and 143 or 191)
        or c3 < 128 or c3 > 191 or c4 < 128 or c4 > 191 then
        return nil
      end
      j = j + 4
    else
      return nil
    end
  end
end

local function is_utf8(s)
  local j = 1
  while true do
    j = find(s, '[\128-\255]', j)
    if j == nil then return true end
    j = utf8_run_end(s, j)
    if j == nil then return false end
  end
end

-- JSON as the front's JSONScanner reads it: RFC 8259 with strict UTF-8, no raw control
-- characters, no unpaired surrogate escapes, finite numbers, at most MAX_DEPTH levels, nothing
-- after the value. Member names are compared as written (escapes not decoded), as the front
-- compares them. cjson is not used: it takes hex, Infinity, NaN, leading zeros and invalid UTF-8,
-- and keeps the last of two members with one name.
--
-- MAX_DEPTH counts every level of the stored field, the error object's own included (error 1,
-- invalid 2, entry 3, rules 4, rule 5, then a rule's or an entry's extra members). The front
-- serves the field inside its envelope: 2 levels more for a job ({"data":{"error":…}}) and 3 for
-- a job list item ({"data":[{"error":…}]}). Clients' parsers stop early (Ruby's JSON at 100,
-- serde_json at 128, Python's json from ~995), so no served document may nest deeper than 100:
-- 100 - 3 = 97. JSONScanner.maximumDepth is the same number.
local MAX_DEPTH = 97

local function scanner(s)
  local n, i = #s, 1
  local self = {}

  local function skip_space()
    i = find(s, '[^ \t\n\r]', i) or (n + 1)
  end

  local function hex4(j)
    local digits = string.match(s, '^%x%x%x%x', j)
    return digits and tonumber(digits, 16)
  end

  -- The string at i (its opening quote); i ends past the closing quote.
  local function scan_string()
    if byte(s, i) ~= 34 then return false end
    i = i + 1
    while true do
      local j = find(s, '["\\%z\1-\31\128-\255]', i)
      if j == nil then return false end
      local c = byte(s, j)
      if c == 34 then
        i = j + 1
        return true
      elseif c == 92 then
        local escaped = byte(s, j + 1)
        if escaped == 117 then
          local code = hex4(j + 2)
          if code == nil or (code >= 0xDC00 and code <= 0xDFFF) then return false end
          i = j + 6
          if code >= 0xD800 and code <= 0xDBFF then
            -- A high surrogate is only half a character: its low half must follow.
            local low = byte(s, i) == 92 and byte(s, i + 1) == 117 and hex4(i + 2)
            if not low or low < 0xDC00 or low > 0xDFFF then return false end
            i = i + 6
          end
        elseif escaped ~= nil and find('"\\/bfnrt', string.char(escaped), 1, true) then
          i = j + 2
        else
          return false
        end
      elseif c >= 128 then
        i = utf8_run_end(s, j)
        if i == nil then return false end
      else
        return false
      end
    end
  end

  local function scan_digits()
    local stop = find(s, '[^0-9]', i) or (n + 1)
    if stop == i then return false end
    i = stop
    return true
  end

  local function scan_number()
    local start = i
    if byte(s, i) == 45 then i = i + 1 end
    if byte(s, i) == 48 then
      i = i + 1
    elseif not scan_digits() then
      return false
    end
    if byte(s, i) == 46 then
      i = i + 1
      if not scan_digits() then return false end
    end
    local e = byte(s, i)
    if e == 101 or e == 69 then
      i = i + 1
      local sign = byte(s, i)
      if sign == 43 or sign == 45 then i = i + 1 end
      if not scan_digits() then return false end
    elseif i - start < 300 then
      return true  -- too few digits to leave a double's range
    end
    local value = tonumber(sub(s, start, i - 1))
    return value ~= nil and value > -math.huge and value < math.huge
  end

  local function scan_member_name()
    if not scan_string() then return false end
    skip_space()
    if byte(s, i) ~= 58 then return false end
    i = i + 1
    return true
  end

  -- Any one value, iteratively; its kind ('object', 'array', 'string', 'number', 'literal').
  -- `enclosing`: the levels of the field around it (0 for a whole field), which count towards
  -- MAX_DEPTH too.
  local function scan_value(enclosing)
    local depth, closers, top = 0, {}, nil
    enclosing = enclosing or 0
    while true do
      skip_space()
      local c = byte(s, i)
      local ended = true
      local kind
      if c == 123 or c == 91 then
        depth = depth + 1
        if enclosing + depth > MAX_DEPTH then return nil end
        closers[depth] = c + 2
        top = top or (c == 123 and 'object' or 'array')
        i = i + 1
        skip_space()
        if byte(s, i) == c + 2 then
          i = i + 1
          depth = depth - 1
        else
          ended = false
          if c == 123 and not scan_member_name() then return nil end
        end
      elseif c == 34 then
        if not scan_string() then return nil end
        kind = 'string'
      elseif c == 45 or (c ~= nil and c >= 48 and c <= 57) then
        if not scan_number() then return nil end
        kind = 'number'
      elseif find(s, '^true', i) or find(s, '^null', i) then
        i = i + 4
        kind = 'literal'
      elseif find(s, '^false', i) then
        i = i + 5
        kind = 'literal'
      else
        return nil
      end
      while ended do
        if depth == 0 then return top or kind end
        skip_space()
        local d = byte(s, i)
        if d == 44 then
          i = i + 1
          if closers[depth] == 125 then
            skip_space()
            if not scan_member_name() then return nil end
          end
          ended = false
        elseif d == closers[depth] then
          i = i + 1
          depth = depth - 1
        else
          return nil
        end
      end
    end
  end

  -- One object whose member names `expect` knows: expect(name) gives the value's kind and a bit
  -- (a bit may be seen once), or nil to refuse the member; every bit of `required` must be seen.
  -- `level`: the object's own depth in the field (1 for the field itself). The bits seen, or nil.
  local scan_array_of
  local function scan_object(required, expect, level)
    if byte(s, i) ~= 123 then return nil end
    i = i + 1
    local seen = 0
    skip_space()
    if byte(s, i) == 125 then
      i = i + 1
      return required == 0 and 0 or nil
    end
    repeat
      skip_space()
      local name_start = i + 1
      if not scan_string() then return nil end
      local kind, bit = expect(sub(s, name_start, i - 2))
      if kind == nil or (bit ~= 0 and seen % (2 * bit) >= bit) then return nil end
      seen = seen + bit
      skip_space()
      if byte(s, i) ~= 58 then return nil end
      i = i + 1
      skip_space()
      if kind == 'string' then
        if not scan_string() then return nil end
      elseif kind == 'any' then
        if scan_value(level) == nil then return nil end
      elseif not scan_array_of(kind, level + 1) then
        return nil
      end
      skip_space()
      local more = byte(s, i) == 44
      if more then i = i + 1 end
    until not more
    if byte(s, i) ~= 125 then return nil end
    i = i + 1
    for _, b in ipairs({ 1, 2, 4 }) do
      if required % (2 * b) >= b and seen % (2 * b) < b then return nil end
    end
    return seen
  end

  local function link_member(name)
    if name == 'entity' then return 'string', 1 end
    if name == 'href' then return 'string', 2 end
    return nil
  end
  local function entry_member(name)
    if name == 'entry_type' then return 'string', 1 end
    if name == 'entry' then return 'string', 2 end
    if name == 'rules' then return 'rules', 4 end
    return 'any', 0
  end
  local function rule_member(name)
    if name == 'rule' then return 'string', 1 end
    return 'any', 0
  end
  local function error_member(name)
    if name == 'type' then return 'string', 1 end
    if name == 'message' then return 'string', 2 end
    if name == 'invalid' then return 'entries', 4 end
    return nil
  end

  -- A non-empty array of link objects, validation entries or rules; `level`: the array's own
  -- depth in the field.
  scan_array_of = function(kind, level)
    if byte(s, i) ~= 91 then return false end
    i = i + 1
    repeat
      skip_space()
      local ok
      if kind == 'links' then
        ok = scan_object(3, link_member, level + 1)
      elseif kind == 'entries' then
        ok = scan_object(7, entry_member, level + 1)
      else
        ok = scan_object(1, rule_member, level + 1)
      end
      if not ok then return false end
      skip_space()
      local more = byte(s, i) == 44
      if more then i = i + 1 end
    until not more
    if byte(s, i) ~= 93 then return false end
    i = i + 1
    return true
  end

  -- `check` over the whole text, surrounding whitespace allowed.
  local function whole(check)
    skip_space()
    local result = check()
    if result == nil or result == false then return nil end
    skip_space()
    return i > n and result or nil
  end

  function self.value() return whole(function() return scan_value(0) end) end
  function self.links() return whole(function() return scan_array_of('links', 1) end) end
  function self.error_object() return whole(function() return scan_object(3, error_member, 1) end) end
  return self
end

-- A Lua string as a JSON string: the bytes must be UTF-8; quotes, backslashes and control
-- characters are escaped.
local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return escapes[c] or string.format('\\u%04x', byte(c))
  end) .. '"'
end

local function is_status_code(text, low, high)
  return text ~= nil and find(text, '^%d%d%d$') ~= nil and tonumber(text) >= low and tonumber(text) <= high
end

-- The error a failed job stores: a JSON string or an error object (type, message, and for a
-- validation error the invalid array; nothing else). As the live eHealth system shows them, a
-- 409 string is stored as {"type":"request_conflict","message":...} and a 500 string as
-- {"type":"internal_error","message":...}; a 422 needs the object with its invalid array.
-- Returns the text to store, or nil and the problem.
local function stored_error(text, status_code)
  if scanner(text).value() == 'string' then
    if status_code == '422' then
      return nil, 'a 422 error must be the validation object with its invalid array'
    end
    local message = string.match(text, '^%s*(.-)%s*$')
    if status_code == '409' then
      return '{"type":"request_conflict","message":' .. message .. '}'
    elseif status_code == '500' then
      return '{"type":"internal_error","message":' .. message .. '}'
    end
    return text
  end
  local members = scanner(text).error_object()
  if members == nil then
    return nil, 'error must be a JSON string or an object with string type and message, an invalid array of '
      .. '{entry_type, entry, rules: [{rule}]} entries, and no other members, each once'
  end
  if status_code == '422' and members < 4 then
    return nil, 'a 422 error must carry a non-empty invalid array'
  end
  return text
end

local time = redis.call('TIME')
local now_ms = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))

-- The change notification goes to the job key's channel. In a Redis 7 cluster it is SPUBLISHed:
-- the message stays inside the job's shard instead of crossing the cluster bus to every node.
-- Elsewhere it is PUBLISHed: a standalone or Sentinel deployment has one node to publish on, and
-- Redis 6 has no SPUBLISH. The fronts subscribe to match (docs/deployment.md).
local function publish(version, status)
  local sharded = (redis.REDIS_VERSION_NUM or 0) >= 0x070000
    and find(redis.call('INFO', 'cluster'), 'cluster_enabled:1', 1, true) ~= nil
  redis.call(sharded and 'SPUBLISH' or 'PUBLISH', key, version .. ' ' .. status)
end

-- Arguments are checked before the record is looked at: bad input is refused as INVALID
-- whatever state the job is in.
-- Every argument is checked before anything is written, and nothing after the first write can
-- fail: a refused call leaves the record, its TTL and its subscribers exactly as they were.
local ETA_RULE = 'eta must be an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss[.fraction of 1 to 9 digits] and Z or +hh:mm) of a real date, in years 0000-9999 once in UTC'
local TTL_RULE = 'ttl must be a whole number of seconds from 1 to ' .. MAX_TTL_SECONDS

-- The record's version plus one; nil when the stored version is not a number (a record written
-- around this script), which is refused before anything is written.
local function next_version(current)
  if current == false or current == nil then return 1 end
  if not find(current, '^%d+$') or #current > 15 then return nil end
  return tonumber(current) + 1
end

if op == 'create' then
  if not eta_milliseconds(args.eta) then
    return fail('INVALID', ETA_RULE)
  end
  if args.owner ~= nil and (#args.owner == 0 or #args.owner > 256) then
    return fail('INVALID', 'owner must be 1 to 256 bytes')
  end
  local ttl = parse_ttl(DEFAULT_PENDING_TTL)
  if ttl == nil then return fail('INVALID', TTL_RULE) end
  if redis.call('HEXISTS', key, 'status') == 1 then
    return fail('EXISTS', 'job ' .. key .. ' already exists')
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 'status', 'pending', 'eta', args.eta, 'version', 1, 'created_at', now_ms, 'updated_at', now_ms)
  if args.owner ~= nil then
    redis.call('HSET', key, 'owner', args.owner)
  end
  redis.call('EXPIRE', key, ttl)
  publish(1, 'pending')
  return { 1, 'created' }
end

if op == 'progress' then
  if args.eta ~= nil and not eta_milliseconds(args.eta) then
    return fail('INVALID', ETA_RULE)
  end
  local ttl = parse_ttl(DEFAULT_PENDING_TTL)
  if ttl == nil then return fail('INVALID', TTL_RULE) end
  local current = redis.call('HMGET', key, 'status', 'version')
  if not current[1] then
    return fail('NOTFOUND', 'job ' .. key .. ' does not exist (never created, or expired)')
  end
  if current[1] ~= 'pending' then
    return fail('REFUSED', 'job ' .. key .. ' is ' .. current[1] .. '; only a pending job makes progress')
  end
  local version = next_version(current[2])
  if version == nil then
    return fail('REFUSED', 'job ' .. key .. ' has a version that is not a number; it was not written by this script')
  end
  if args.eta ~= nil then
    redis.call('HSET', key, 'eta', args.eta)
  end
  redis.call('HSET', key, 'version', version, 'updated_at', now_ms)
  redis.call('EXPIRE', key, ttl)
  publish(version, 'pending')
  return { version, 'updated' }
end

-- Terminal operations: work out the exact fields, then compare or write.
local status = op
local fields = { status_code = false, links = false, response_data = false, error = false }
if op == 'processed' then
  if (args.links == nil) == (args.response_data == nil) then
    return fail('INVALID', 'processed needs exactly one of links and response_data')
  end
  fields.status_code = args.status_code or '200'
  if not is_status_code(fields.status_code, 200, 299) then
    return fail('INVALID', 'status_code of a processed job must be 2xx')
  end
  if args.links ~= nil then
    if not scanner(args.links).links() then
      return fail('INVALID', 'links must be a non-empty JSON array of objects with exactly the string members entity and href, each once')
    end
    fields.links = args.links
  else
    if not scanner(args.response_data).value() then
      return fail('INVALID', 'response_data must be strict JSON (see the record contract)')
    end
    fields.response_data = args.response_data
  end
elseif op == 'failed' then
  if not is_status_code(args.status_code, 400, 599) then
    return fail('INVALID', 'status_code of a failed job must be 4xx or 5xx')
  end
  if args.error == nil then
    return fail('INVALID', 'failed needs an error')
  end
  local stored, problem = stored_error(args.error, args.status_code)
  if stored == nil then return fail('INVALID', problem) end
  fields.status_code = args.status_code
  fields.error = stored
else
  if args.message == nil or #args.message == 0 then
    return fail('INVALID', 'failed_with_error needs a message')
  end
  if not is_utf8(args.message) then
    return fail('INVALID', 'message must be UTF-8 text')
  end
  fields.status_code = '500'
  fields.error = '{"type":"internal_error","message":' .. json_string(args.message) .. '}'
end

local payload = 0
for _, name in ipairs({ 'links', 'response_data', 'error' }) do
  if fields[name] then payload = payload + #fields[name] end
end
if payload > MAX_PAYLOAD_BYTES then
  return fail('TOOLARGE', 'links, response_data and error together are ' .. payload .. ' bytes; at most ' .. MAX_PAYLOAD_BYTES .. ' are stored')
end
local ttl = parse_ttl(DEFAULT_TERMINAL_TTL)
if ttl == nil then return fail('INVALID', TTL_RULE) end

local current = redis.call('HMGET', key, 'status', 'status_code', 'links', 'response_data', 'error', 'version')
local current_status = current[1]
if not current_status then
  return fail('NOTFOUND', 'job ' .. key .. ' does not exist (never created, or expired)')
end
if current_status ~= 'pending' then
  local same = current_status == status
    and current[2] == fields.status_code
    and current[3] == fields.links
    and current[4] == fields.response_data
    and current[5] == fields.error
  if same then
    return { tonumber(current[6]), 'unchanged' }
  end
  return fail('REFUSED', 'job ' .. key .. ' is already ' .. current_status .. ' and a terminal state is final')
end
local version = next_version(current[6])
if version == nil then
  return fail('REFUSED', 'job ' .. key .. ' has a version that is not a number; it was not written by this script')
end

local writes = { 'status', status, 'version', version, 'updated_at', now_ms }
local removals = {}
for _, name in ipairs({ 'status_code', 'links', 'response_data', 'error' }) do
  if fields[name] then
    table.insert(writes, name)
    table.insert(writes, fields[name])
  else
    table.insert(removals, name)
  end
end
redis.call('HSET', key, unpack(writes))
if #removals > 0 then
  redis.call('HDEL', key, unpack(removals))
end
redis.call('EXPIRE', key, ttl)
publish(version, status)
return { version, 'updated' }
