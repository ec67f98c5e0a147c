-- The busy-morning load for wrk: signed-in DSLs, each request for a person and a page picked at random
-- by weight. Each connection is one more person at the keyboard who asks again the moment an answer
-- arrives; the benchmark steps the number of connections up.
--
--   wrk -t THREADS -c CONNECTIONS -d DURATION -s bench/busy_morning.lua URL -- \
--       ACCOUNTS RESULTS SECONDS THREADS WEIGHTS
--
-- ACCOUNTS has one signed-in person a line: cookie, CSRF token (form-encoded), booking id, the id of
-- the session booked, and 1 when the booking is booked now or 0 when it is cancelled, tab-separated.
-- WEIGHTS gives home, my training, materials page, poster PDF, booking .ics and book-or-cancel, e.g.
-- "20,20,10,30,10,10". Requests are sent for SECONDS. After that a connection sends nothing more (its
-- next request waits past wrk's DURATION), so every request sent is answered before wrk stops: gunicorn
-- takes waiting connections in the order they came, and those idle ones came last. RESULTS gets the
-- step's figures as JSON.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } busy_morning_timespec;
int clock_gettime(int clock_id, busy_morning_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("busy_morning_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

-- The sign-in session is bound to the User-Agent it signed in with (bench/http.py's Visitor).
local USER_AGENT = "right-support-visitor"
-- A person's next form waits this long, so their book and cancel never overtake each other.
local FORM_REST_MS = 3000
local KINDS = { "home", "training", "materials", "poster", "ics", "form" }

-- The main state: one handle per thread, read back in done().
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Each thread's own state (globals, so that done() can read them).
accounts, counts, forms_by_account, results_path = {}, {}, {}, nil
local edges, weight_total, stop_at = {}, 0, 0
-- On the first thread wrk calls request() once before the run to check the script, and never sends
-- what it returns: that call must not count, nor flip anyone's booking.
local checking = false

local function split(text, separator)
  local fields = {}
  for field in (text .. separator):gmatch("(.-)" .. separator) do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  results_path = args[2]
  local seconds, thread_count = tonumber(args[3]), tonumber(args[4])
  for index, weight in ipairs(split(args[5], ",")) do
    weight_total = weight_total + tonumber(weight)
    edges[index] = weight_total
  end
  -- Threads take every thread_count-th person, so each person's requests come from one thread.
  local line_number = 0
  for line in io.lines(args[1]) do
    line_number = line_number + 1
    if (line_number - 1) % thread_count == thread_index then
      local f = split(line, "\t")
      table.insert(accounts, { line = line_number, cookie = f[1], token = f[2], booking = f[3],
                               session = f[4], booked = f[5] == "1", last_form = -FORM_REST_MS })
    end
  end
  for _, name in ipairs({ "home", "training", "materials", "poster", "ics", "book", "cancel", "form_deferred",
                          "pdfs", "forms_answered", "signed_out", "anonymous_pages", "unexpected" }) do
    counts[name] = 0
  end
  math.randomseed(1000 + thread_index)
  checking = thread_index == 0
  stop_at = now_ms() + seconds * 1000
end

function delay()
  if now_ms() >= stop_at then
    return 3600000 -- the step is over: send nothing more until wrk stops
  end
  return 0
end

local function pick_kind()
  local roll = math.random() * weight_total
  for index, edge in ipairs(edges) do
    if roll < edge then
      return KINDS[index]
    end
  end
  return KINDS[#KINDS]
end

local function rested_person(now)
  for _ = 1, 8 do
    local person = accounts[math.random(#accounts)]
    if now - person.last_form >= FORM_REST_MS then
      return person
    end
  end
  return nil
end

local function form_request(person, headers, now)
  local path
  if person.booked then
    path = "/my-training/bookings/" .. person.booking .. "/cancel"
    counts.cancel = counts.cancel + 1
  else
    path = "/my-training/sessions/" .. person.session .. "/book"
    counts.book = counts.book + 1
  end
  person.booked = not person.booked
  person.last_form = now
  forms_by_account[person.line] = (forms_by_account[person.line] or 0) + 1
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", path, headers, "csrf_token=" .. person.token)
end

local PATHS = { home = "/", training = "/my-training", materials = "/materials/", poster = "/materials/poster.pdf" }

function request()
  if checking then
    checking = false
    return wrk.format("GET", "/healthz")
  end
  local kind, now = pick_kind(), now_ms()
  local person = accounts[math.random(#accounts)]
  if kind == "form" then
    person = rested_person(now)
    if person == nil then -- everyone tried has a form in flight: this slot shows their training page
      counts.form_deferred = counts.form_deferred + 1
      kind, person = "training", accounts[math.random(#accounts)]
    end
  end
  local headers = { ["Cookie"] = person.cookie, ["User-Agent"] = USER_AGENT }
  if kind == "form" then
    return form_request(person, headers, now)
  end
  counts[kind] = counts[kind] + 1
  if kind == "ics" then
    return wrk.format("GET", "/my-training/bookings/" .. person.booking .. ".ics", headers)
  end
  return wrk.format("GET", PATHS[kind], headers)
end

function response(status, headers, body)
  if status == 200 then
    local content_type = headers["Content-Type"] or ""
    if content_type:find("application/pdf", 1, true) then
      counts.pdfs = counts.pdfs + 1
    elseif content_type:find("text/html", 1, true) and not body:find("Sign out", 1, true) then
      counts.anonymous_pages = counts.anonymous_pages + 1 -- a page served without the session
    end
  elseif status == 302 then
    if (headers["Location"] or ""):find("/login", 1, true) then
      counts.signed_out = counts.signed_out + 1
    else
      counts.forms_answered = counts.forms_answered + 1
    end
  elseif status < 400 then
    counts.unexpected = counts.unexpected + 1 -- wrk counts 4xx and 5xx itself
  end
end

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    table.insert(parts, string.format("%q:%s", tostring(key), tostring(value)))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local totals, forms = {}, {}
  for _, thread in ipairs(threads) do
    for name, value in pairs(thread:get("counts")) do
      totals[name] = (totals[name] or 0) + value
    end
    for line, value in pairs(thread:get("forms_by_account")) do
      forms[line] = value
    end
  end
  local percentiles = {}
  for _, p in ipairs({ 50, 90, 95, 99 }) do
    percentiles["p" .. p] = latency:percentile(p)
  end
  percentiles.max, percentiles.mean = latency.max, latency.mean
  local out = io.open(threads[1]:get("results_path"), "w")
  out:write(string.format('{"requests":%d,"duration_us":%d,"errors":%s,"latency_us":%s,"counts":%s,"forms":%s}\n',
    summary.requests, summary.duration, json_object(summary.errors), json_object(percentiles), json_object(totals),
    json_object(forms)))
  out:close()
end
