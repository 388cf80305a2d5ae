-- wrk: polls random seeded jobs with the bench token. Ids come from the ETAGS file ("<id> <tag>"
-- lines written by seed.py) so that every run does the same work in wrk; with CONDITIONAL=1 the
-- job's current tag goes along as If-None-Match (the 304 path).
local token = os.getenv("TOKEN")
local conditional = os.getenv("CONDITIONAL") == "1"
local jobs = {}
for line in io.lines(os.getenv("ETAGS")) do
  local id, tag = line:match("^(%S+) (.+)$")
  jobs[#jobs + 1] = { path = "/api/jobs/" .. id, tag = tag, key = "/HGETALL/job:" .. id }
end
local webdis = os.getenv("WEBDIS") == "1"

request = function()
  local job = jobs[math.random(#jobs)]
  local headers = { ["Authorization"] = "Bearer " .. token }
  if conditional then
    headers["If-None-Match"] = job.tag
  end
  return wrk.format("GET", webdis and job.key or job.path, headers)
end
