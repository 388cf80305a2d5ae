-- wrk: polls random seeded jobs with the bench token. Ids come from the ETAGS file ("<id> <tag>"
-- lines written by seed.py). Every request carries If-None-Match, so every target gets requests
-- of the same shape and wrk does the same work for each: with CONDITIONAL=1 it is the job's
-- current tag (the 304 path), otherwise a tag that never matches.
local token = os.getenv("TOKEN")
local conditional = os.getenv("CONDITIONAL") == "1"
local webdis = os.getenv("WEBDIS") == "1"
local requests = {}

-- Requests are formatted once, in init, where wrk knows the Host header to add.
init = function(args)
  for line in io.lines(os.getenv("ETAGS")) do
    local id, tag = line:match("^(%S+) (.+)$")
    local path = webdis and ("/HGETALL/job:" .. id) or ("/api/jobs/" .. id)
    local headers = {
      ["Authorization"] = "Bearer " .. token,
      ["If-None-Match"] = conditional and tag or 'W/"0.0"',
    }
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
end

request = function()
  return requests[math.random(#requests)]
end
