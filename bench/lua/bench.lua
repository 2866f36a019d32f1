-- bench.lua: the one wrk script the benchmark driver uses.
--
-- The driver describes a scenario in a plan file named by BENCH_PLAN, one
-- "key value" per line:
--   method POST                    request method
--   path /oauth/token              request path
--   header Name value              a request header (repeatable)
--   body grant_type=...            a fixed body: wrk sends one pre-built request
--   items /tmp/items.txt           one item per line, spread over the threads
--   template token={item}          the body of each request, {item} replaced
--   mode once|cycle|chain          once: each item used once (then reused and
--                                  counted); cycle: round robin; chain: the
--                                  response's chain_field feeds the next request
--   chain_field refresh_token      the JSON string field chain mode follows
--   threads 2                      wrk's -t, so items can be spread over threads
--   out /tmp/result.json           where done() writes the summary as JSON
-- With no items the request is static, which costs wrk the least.

local plan = { headers = {}, mode = "static" }
do
  local path = os.getenv("BENCH_PLAN")
  if not path then error("BENCH_PLAN is not set") end
  for line in io.lines(path) do
    local k, v = line:match("^(%S+) (.*)$")
    if k == "header" then
      local name, value = v:match("^(%S+) (.*)$")
      plan.headers[name] = value
    elseif k then
      plan[k] = v
    end
  end
end

wrk.method = plan.method or "GET"
wrk.path = plan.path or "/"
for name, value in pairs(plan.headers) do wrk.headers[name] = value end
if plan.body then wrk.body = plan.body end

-- main state: number the threads and keep them for done().
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads - 1)
end

function done(summary, latency, requests)
  local reused, starved = 0, 0
  for _, t in ipairs(threads) do
    reused = reused + (t:get("reused") or 0)
    starved = starved + (t:get("starved") or 0)
  end
  local e = summary.errors
  local f = assert(io.open(plan.out, "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"threads":%d,"reused":%d,"starved":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, #threads, reused, starved))
  f:close()
end

if plan.mode == "static" then return end

-- thread states from here on: dynamic requests.
local items, next_item, wrapped = {}, 1, false
reused, starved = 0, 0

function init(args)
  local n = 0
  for line in io.lines(plan.items) do
    if n % tonumber(plan.threads) == tid then table.insert(items, line) end
    n = n + 1
  end
end

local function body_for(item)
  local t = plan.template
  local i, j = t:find("{item}", 1, true)
  return t:sub(1, i - 1) .. item .. t:sub(j + 1)
end

function request()
  local item
  if plan.mode == "chain" then
    item = table.remove(items)
    if not item then
      starved = starved + 1
      item = "exhausted"
    end
  else
    if next_item > #items then
      next_item, wrapped = 1, true
    end
    if wrapped and plan.mode == "once" then reused = reused + 1 end
    item = items[next_item] or "exhausted"
    next_item = next_item + 1
  end
  return wrk.format(nil, nil, nil, body_for(item))
end

if plan.mode == "chain" then
  local pattern = '"' .. plan.chain_field .. '"%s*:%s*"([^"]+)"'
  function response(status, headers, body)
    if status == 200 then
      local v = body:match(pattern)
      if v then table.insert(items, v) end
    end
  end
end
