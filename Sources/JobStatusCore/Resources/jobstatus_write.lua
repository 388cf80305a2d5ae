-- jobstatus write script: every change to a job record goes through this one script, so the
-- transition check, the write, the TTL and the change notification happen atomically.
-- The contract is documented in docs/record-contract.md; keep the two in step.
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

local function is_rfc3339(text)
  if text == nil then return false end
  local rest = string.match(text, '^%d%d%d%d%-[01]%d%-[0-3]%dT[0-2]%d:[0-5]%d:[0-6]%d(.*)$')
  if rest == nil then return false end
  rest = string.gsub(rest, '^%.%d+', '', 1)
  return rest == 'Z' or string.match(rest, '^[%+%-][0-2]%d:[0-5]%d$') ~= nil
end

local function parse_ttl(default)
  if args.ttl == nil then return default end
  local ttl = tonumber(args.ttl)
  if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
    return nil
  end
  return ttl
end

-- cjson.decode is lenient: it takes hex (0x10), Infinity, NaN, leading zeros, raw control
-- characters and invalid UTF-8 in strings, and numbers beyond a double's range. The front answers
-- RFC 8259 JSON only (and reads such a record as broken), so the text is checked first, with the
-- front's rules: strict UTF-8, finite numbers, nothing after the value.
local find, byte = string.find, string.byte

-- The end of the run of strict UTF-8 sequences (RFC 3629: no overlong forms, no surrogates,
-- nothing above U+10FFFF) that starts at j, or nil if a byte there belongs to no valid sequence.
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

local function is_strict_json(s)
  local n, i, depth, closers = #s, 1, 0, {}
  local function skip_space()
    i = find(s, '[^ \t\n\r]', i) or (n + 1)
  end
  local function scan_string()
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
          if not find(s, '^%x%x%x%x', j + 2) then return false end
          i = j + 6
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
    local value = tonumber(string.sub(s, start, i - 1))
    return value ~= nil and value > -math.huge and value < math.huge
  end
  local function scan_member_name()
    if byte(s, i) ~= 34 or not scan_string() then return false end
    skip_space()
    if byte(s, i) ~= 58 then return false end
    i = i + 1
    return true
  end
  while true do
    skip_space()
    local c = byte(s, i)
    local ended = true
    if c == 123 or c == 91 then
      depth = depth + 1
      if depth > 1000 then return false end
      closers[depth] = c + 2
      i = i + 1
      skip_space()
      if byte(s, i) == c + 2 then
        i = i + 1
        depth = depth - 1
      else
        ended = false
        if c == 123 and not scan_member_name() then return false end
      end
    elseif c == 34 then
      if not scan_string() then return false end
    elseif c == 45 or (c ~= nil and c >= 48 and c <= 57) then
      if not scan_number() then return false end
    elseif find(s, '^true', i) or find(s, '^null', i) then
      i = i + 4
    elseif find(s, '^false', i) then
      i = i + 5
    else
      return false
    end
    while ended do
      skip_space()
      if depth == 0 then return i > n end
      local d = byte(s, i)
      if d == 44 then
        i = i + 1
        if closers[depth] == 125 then
          skip_space()
          if not scan_member_name() then return false end
        end
        ended = false
      elseif d == closers[depth] then
        i = i + 1
        depth = depth - 1
      else
        return false
      end
    end
  end
end

local function decode_json(text)
  if not is_strict_json(text) then return nil end
  local ok, value = pcall(cjson.decode, text)
  if ok then return value end
  return nil
end

local function is_array(value)
  return type(value) == 'table' and #value >= 1 and value[1] ~= nil
end

local function is_status_code(text, low, high)
  local code = tonumber(text)
  return text ~= nil and string.match(text, '^%d%d%d$') ~= nil and code >= low and code <= high
end

-- links: [{"entity": "...", "href": "..."}, ...] with exactly those members
local function check_links(text)
  local links = decode_json(text)
  if not is_array(links) or string.sub(text, string.find(text, '%S')) ~= '[' then
    return 'links must be a non-empty JSON array of {"entity", "href"} objects'
  end
  for i, link in ipairs(links) do
    if type(link) ~= 'table' or type(link.entity) ~= 'string' or type(link.href) ~= 'string' then
      return 'link ' .. i .. ' must have string entity and href'
    end
    local members = 0
    for _ in pairs(link) do members = members + 1 end
    if members ~= 2 then
      return 'link ' .. i .. ' must have exactly the members entity and href'
    end
  end
  return nil
end

-- error: a JSON string, or an object {type, message[, invalid]} with nothing else (the shapes of
-- the published job schema); 409 and 422 need the object, 422 with its invalid array
local function check_invalid(invalid)
  if not is_array(invalid) then
    return 'invalid must be a non-empty array'
  end
  for i, entry in ipairs(invalid) do
    if type(entry) ~= 'table' or type(entry.entry_type) ~= 'string' or type(entry.entry) ~= 'string'
      or not is_array(entry.rules) then
      return 'invalid entry ' .. i .. ' must have string entry_type and entry and a non-empty rules array'
    end
    for j, rule in ipairs(entry.rules) do
      if type(rule) ~= 'table' or type(rule.rule) ~= 'string' then
        return 'rule ' .. j .. ' of invalid entry ' .. i .. ' must have a string rule'
      end
    end
  end
  return nil
end

local function check_error(text, status_code)
  local value = decode_json(text)
  local first = string.match(text, '^%s*(.)')
  if value == nil or (first ~= '"' and first ~= '{') then
    return 'error must be a JSON string or a JSON object'
  end
  if first == '"' then
    if status_code == '409' or status_code == '422' then
      return 'a ' .. status_code .. ' error must be an object with string type and message'
    end
    return nil
  end
  if type(value.type) ~= 'string' or type(value.message) ~= 'string' then
    return 'an error object must have string type and message'
  end
  for name in pairs(value) do
    if name ~= 'type' and name ~= 'message' and name ~= 'invalid' then
      return 'an error object has only the members type, message and invalid, not ' .. tostring(name)
    end
  end
  if value.invalid ~= nil then
    local problem = check_invalid(value.invalid)
    if problem ~= nil then return problem end
  elseif status_code == '422' then
    return 'a 422 error must carry a non-empty invalid array'
  end
  return nil
end

local time = redis.call('TIME')
local now_ms = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))

local function publish(version, status)
  redis.call('PUBLISH', key, version .. ' ' .. status)
end

-- Arguments are checked before the record is looked at: bad input is refused as INVALID
-- whatever state the job is in.
if op == 'create' then
  if not is_rfc3339(args.eta) then
    return fail('INVALID', 'eta must be an RFC 3339 timestamp')
  end
  if args.owner ~= nil and (#args.owner == 0 or #args.owner > 256) then
    return fail('INVALID', 'owner must be 1 to 256 bytes')
  end
  local ttl = parse_ttl(DEFAULT_PENDING_TTL)
  if ttl == nil then return fail('INVALID', 'ttl must be a positive whole number of seconds') end
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
  if args.eta ~= nil and not is_rfc3339(args.eta) then
    return fail('INVALID', 'eta must be an RFC 3339 timestamp')
  end
  local ttl = parse_ttl(DEFAULT_PENDING_TTL)
  if ttl == nil then return fail('INVALID', 'ttl must be a positive whole number of seconds') end
  local current_status = redis.call('HGET', key, 'status')
  if not current_status then
    return fail('NOTFOUND', 'job ' .. key .. ' does not exist (never created, or expired)')
  end
  if current_status ~= 'pending' then
    return fail('REFUSED', 'job ' .. key .. ' is ' .. current_status .. '; only a pending job makes progress')
  end
  if args.eta ~= nil then
    redis.call('HSET', key, 'eta', args.eta)
  end
  local version = redis.call('HINCRBY', key, 'version', 1)
  redis.call('HSET', key, 'updated_at', now_ms)
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
    local problem = check_links(args.links)
    if problem then return fail('INVALID', problem) end
    fields.links = args.links
  else
    if decode_json(args.response_data) == nil then
      return fail('INVALID', 'response_data must be valid JSON')
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
  local problem = check_error(args.error, args.status_code)
  if problem then return fail('INVALID', problem) end
  fields.status_code = args.status_code
  fields.error = args.error
else
  if args.message == nil or #args.message == 0 then
    return fail('INVALID', 'failed_with_error needs a message')
  end
  fields.status_code = '500'
  fields.error = cjson.encode({ type = 'internal_error', message = args.message })
end

local payload = 0
for _, name in ipairs({ 'links', 'response_data', 'error' }) do
  if fields[name] then payload = payload + #fields[name] end
end
if payload > MAX_PAYLOAD_BYTES then
  return fail('TOOLARGE', 'links, response_data and error together are ' .. payload .. ' bytes; at most ' .. MAX_PAYLOAD_BYTES .. ' are stored')
end
local ttl = parse_ttl(DEFAULT_TERMINAL_TTL)
if ttl == nil then return fail('INVALID', 'ttl must be a positive whole number of seconds') end

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

local writes = { 'status', status, 'updated_at', now_ms }
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
local version = redis.call('HINCRBY', key, 'version', 1)
redis.call('EXPIRE', key, ttl)
publish(version, status)
return { version, 'updated' }
