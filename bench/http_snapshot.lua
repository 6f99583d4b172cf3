-- Scenario B of bench/http.sh: intermediaries fetching the whole feed snapshot (200 with the
-- document), closed loop.
--
--   wrk -t2 -c100 -d10s -s bench/http_snapshot.lua \
--     'http://127.0.0.1:PORT/feeds/isp/snapshot?format=json' -- TOKENS_FILE
--
-- No response() here on purpose: with one, wrk copies every body (megabytes) into Lua. The
-- checks are made from the summary instead: no status error (wrk counts statuses of 400 and
-- above) and, in bench/http.sh, bytes per response at least the document's size (no request
-- carries If-None-Match, so the only answers below 400 are 200s with the document).
-- The result is one line, "RESULT key=value ...", that bench/http.sh reads.

local requests = {}
local cursor = 0
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      requests[#requests + 1] = wrk.format("GET", nil, {["Authorization"] = "Bearer " .. line})
    end
  end
  cursor = (id or 0) * 7919
end

function request()
  if #requests == 0 then return wrk.format("GET") end
  cursor = cursor % #requests + 1
  return requests[cursor]
end

function done(summary, latency, _)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f bytes=%d mbps=%.1f p50_ms=%.3f p90_ms=%.3f " ..
    "p99_ms=%.3f max_ms=%.3f mean_ms=%.3f err_connect=%d err_read=%d err_write=%d " ..
    "err_timeout=%d err_status=%d\n",
    summary.requests, secs, summary.requests / secs, summary.bytes,
    summary.bytes / secs / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3,
    e.connect, e.read, e.write, e.timeout, e.status))
end
