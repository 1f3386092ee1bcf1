-- wrk script for bench/run.py: replays a plan file written by bench/load.py.
--
--   wrk -t1 -c10 -d10s -s bench/wrk_plan.lua http://127.0.0.1:PORT -- /tmp/plan.lua
--
-- The plan (a Lua file returning a table) holds either a list of ready requests, cycled
-- (or sent once each when plan.once is set: cancels cannot be repeated), or a gateway
-- key and machine names, from which every request gets a fresh batch of readings.
-- plan.think_ms, when set, is the mean pause before each request of a connection.
-- done() prints one line "BENCH {json}" with the counts, statuses and latencies.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *out);
]]
local clock = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  plan = dofile(args[1])
  ready = {}
  for i, r in ipairs(plan.requests or {}) do
    ready[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
  next_index, sent, answered, exhausted, readings = 0, 0, 0, 0, 0
  statuses = {}
  first_sent, last_answer = 0, 0
  if plan.think_ms then
    -- Each connection pauses before its next request, like a person would: a random pause
    -- (0 to twice think_ms), so the connections do not all fire at the same moment.
    math.randomseed(os.time())
    delay = function() return math.random(0, 2 * plan.think_ms) end
  end
end

local function gateway_request()
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local parts = {}
  for i, name in ipairs(plan.gateway.machines) do
    readings = readings + 1
    parts[i] = string.format('{"machine":"%s","kelvin":%.3f,"read_at":"%s","id":"%s%016x"}',
      name, 1.5 + (readings % 97) * 0.001, stamp, plan.gateway.prefix, readings)
  end
  local body = '{"gateway_time":"' .. stamp .. '","readings":[' .. table.concat(parts, ",")
    .. '],"unreachable":[]}'
  return wrk.format("POST", plan.gateway.path, plan.gateway.headers, body)
end

function request()
  if first_sent == 0 then first_sent = now() end
  sent = sent + 1
  if plan.gateway then return gateway_request() end
  next_index = next_index + 1
  if next_index > #ready then
    if plan.once then
      -- Nothing left that can be sent: stop here; the harmless request below is the last.
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/bench/floor/")
    end
    next_index = 1
  end
  return ready[next_index]
end

function response(status, headers, body)
  answered = answered + 1
  last_answer = now()
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts, spans, exhausted_any = {}, {}, 0
  local answered_all, sent_all = 0, 0
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do counts[status] = (counts[status] or 0) + n end
    answered_all = answered_all + thread:get("answered")
    sent_all = sent_all + thread:get("sent")
    table.insert(spans, thread:get("last_answer") - thread:get("first_sent"))
    if thread:get("exhausted") == 1 then exhausted_any = 1 end
  end
  local status_parts = {}
  for status, n in pairs(counts) do
    table.insert(status_parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"answered":%d,"sent":%d,"duration_s":%.4f,"busy_s":%.4f,"exhausted":%d,'
      .. '"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, answered_all, sent_all, summary.duration / 1e6, math.max(unpack(spans)), exhausted_any,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, latency.mean / 1e3,
    e.connect, e.read, e.write, e.timeout, table.concat(status_parts, ",")))
end
