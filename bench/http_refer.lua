-- Scenario C of bench/http.sh: a rights holder's bulk referrals over the API, POST
-- /v1/referrals with BATCH targets a request, every name new (a run nonce, the wrk thread and a
-- counter), one evidence item; each answer must be 201 Created.
--
--   wrk -t2 -c4 -d10s -s bench/http_refer.lua 'http://127.0.0.1:PORT/v1/referrals' \
--     -- TOKEN BATCH NONCE
--
-- Other statuses are counted by code, the first such answer's body kept (truncated) for the
-- report. The result is one line, "RESULT key=value ...", that bench/http.sh reads.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local token, nonce = "", "0"
batch = 0 -- global, like the counters below: done() reads it from a thread
local counter = 0
created = 0 -- globals: thread:get reads them in done()
unexpected = 0
statuses = {}
first_error = ""

local evidence = '"evidence":[{"url":"https://bench.example/","observed":"2026-11-20T10:00:00Z",' ..
  '"sha256":"' .. string.rep("5e", 32) .. '"}]'

function init(args)
  token = args[1]
  batch = tonumber(args[2])
  nonce = args[3]
end

function request()
  if token == "" then return wrk.format("POST") end
  counter = counter + 1
  local prefix = '"domain:n' .. nonce .. "-t" .. id .. "-r" .. counter .. "-"
  local names = {}
  for i = 1, batch do names[i] = prefix .. i .. '.bench.example"' end
  local body = '{"category":"torrent","targets":[' .. table.concat(names, ",") .. "]," ..
    evidence .. "}"
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    unexpected = unexpected + 1
    statuses[status] = (statuses[status] or 0) + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, _)
  local ok, bad, first = 0, 0, ""
  local batch = threads[1]:get("batch")
  local by_status = {}
  for _, t in ipairs(threads) do
    ok = ok + t:get("created")
    bad = bad + t:get("unexpected")
    for code, n in pairs(t:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + n
    end
    if first == "" then first = t:get("first_error") end
  end
  local codes = {}
  for code, n in pairs(by_status) do codes[#codes + 1] = code .. ":" .. n end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.2f created=%d batch=%d targets_per_s=%.0f " ..
    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f err_connect=%d err_read=%d err_write=%d " ..
    "err_timeout=%d unexpected=%d unexpected_statuses=%s\n",
    summary.requests, secs, summary.requests / secs, ok, batch, ok * batch / secs,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.connect, e.read, e.write, e.timeout, bad, #codes > 0 and table.concat(codes, ",") or "-"))
  if first ~= "" then io.write("FIRST_ERROR " .. first:gsub("\n", " ") .. "\n") end
end
