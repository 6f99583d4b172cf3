-- Scenario A of bench/http.sh: intermediaries polling a feed with a conditional GET. Every
-- request carries If-None-Match with the feed's current ETag, so every answer must be
-- 304 Not Modified; any other status is counted, reported and fails the run (bench/http.sh).
--
--   HTTP_POLL_RATE=20000 HTTP_POLL_CONNS=1000 HTTP_POLL_THREADS=2 \
--     wrk -t2 -c1000 -d10s -s bench/http_poll.lua \
--     'http://127.0.0.1:PORT/feeds/isp/snapshot?format=json' -- TOKENS_FILE '"ETAG"'
--
-- TOKENS_FILE holds API tokens, one a line; each connection takes them in turn (a token's
-- answer is cached by the server, as it is for real pollers).
--
-- Pacing, set by the environment when the script loads (wrk decides then whether a script
-- paces): HTTP_POLL_RATE=R (total requests/s), HTTP_POLL_CONNS=C and HTTP_POLL_THREADS=T as
-- given to wrk. After each answer a connection waits a random time, uniform between 0.5 and 1.5
-- times its mean pause (random so that the connections do not poll in step), as pollers on a
-- timer do. The mean pause starts at C * 1000 / R ms; since the pause begins only when the
-- answer is in, each wrk thread measures the rate it achieves every 200 ms (LuaJIT's ffi,
-- CLOCK_MONOTONIC) and scales its pauses so that it makes R / T requests/s: the offered load
-- stays R while answers take less than the pause (pauses are kept between a quarter of and four
-- times the starting one). HTTP_POLL_RATE unset or 0: a closed loop, the next request as soon as
-- the answer is in. Every connection sends its first request at the start (wrk has no way to
-- hold it back), a burst of C requests within the first milliseconds.
-- The result is one line, "RESULT key=value ...", that bench/http.sh reads.

local rate = tonumber(os.getenv("HTTP_POLL_RATE") or "0") or 0
local conns = tonumber(os.getenv("HTTP_POLL_CONNS") or "0") or 0
local nthreads = tonumber(os.getenv("HTTP_POLL_THREADS") or "1") or 1
local expect = 304

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests = {}
local cursor = 0
unexpected = 0 -- globals: thread:get reads them in done()
statuses = {}

function init(args)
  local tokens = {}
  for line in io.lines(args[1]) do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
  for k, t in ipairs(tokens) do
    requests[k] = wrk.format("GET", nil, {
      ["Authorization"] = "Bearer " .. t,
      ["If-None-Match"] = args[2],
    })
  end
  cursor = (id or 0) * 7919
  math.randomseed((id or 0) * 104729 + os.time())
end

function request()
  -- wrk calls this once in its main state, before init, to check the request it returns.
  if #requests == 0 then return wrk.format("GET") end
  cursor = cursor % #requests + 1
  return requests[cursor]
end

if rate > 0 then
  if conns <= 0 then error("HTTP_POLL_RATE needs HTTP_POLL_CONNS (wrk -c)") end
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } poll_timespec;
    int clock_gettime(int clock, poll_timespec *ts);
  ]]
  local ts = ffi.new("poll_timespec")
  local function now()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
  end
  local pause = conns * 1000 / rate -- ms, mean
  local thread_rate = rate / nthreads
  local window_start, window_count = nil, 0

  function delay()
    local t = now()
    if window_start == nil then window_start = t end
    window_count = window_count + 1
    if t - window_start >= 0.2 then
      -- Behind the rate: shorter pauses; ahead: longer ones (half the correction each window).
      local achieved = window_count / (t - window_start)
      pause = pause * math.sqrt(achieved / thread_rate)
      pause = math.max(conns * 250 / rate, math.min(conns * 4000 / rate, pause))
      window_start, window_count = t, 0
    end
    return math.floor(pause * (0.5 + math.random()) + 0.5)
  end
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, _)
  local bad = 0
  local by_status = {}
  for _, t in ipairs(threads) do
    bad = bad + t:get("unexpected")
    for code, n in pairs(t:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + n
    end
  end
  local codes = {}
  for code, n in pairs(by_status) do codes[#codes + 1] = code .. ":" .. n end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f bytes=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "p999_ms=%.3f max_ms=%.3f mean_ms=%.3f err_connect=%d err_read=%d err_write=%d " ..
    "err_timeout=%d unexpected=%d unexpected_statuses=%s\n",
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency:percentile(99.9) / 1e3, latency.max / 1e3, latency.mean / 1e3,
    e.connect, e.read, e.write, e.timeout, bad,
    #codes > 0 and table.concat(codes, ",") or "-"))
end
