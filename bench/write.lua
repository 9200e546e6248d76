-- wrk script: authenticated writes, each creating a crossing with a unique slug.
-- The token comes from the TRUCE_TOKEN environment variable.
local counter = 0
local prefix = ""

-- Slugs are "b<start time>-<thread>-<n>", unique across threads and across runs.
local started = tostring(os.time())
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", started .. "-" .. threads)
end

function init(args)
  prefix = "b" .. tid .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TRUCE_TOKEN")
end

function request()
  counter = counter + 1
  local body = string.format('{"slug":"%s%d","name":"Bench crossing","lat":31.3,"lon":34.3}',
                             prefix, counter)
  return wrk.format(nil, "/api/v1/crossings", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
