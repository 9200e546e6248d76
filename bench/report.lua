-- wrk script: authenticated reports (POST /api/v1/reports), each a full ACLED-style
-- allegation with a graded source. The token comes from TRUCE_TOKEN.
local counter = 0

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TRUCE_TOKEN")
end

function request()
  counter = counter + 1
  local body = string.format('{"event_date":"2025-01-20","time_precision":1,' ..
    '"event_type":"Explosions/Remote violence","sub_event_type":"Air/drone strike",' ..
    '"actor1":"Military Forces of Israel (2022-)","actor2":"Civilians (Palestine)",' ..
    '"latitude":31.5017,"longitude":34.4668,"geo_precision":1,"location":"Gaza City",' ..
    '"fatalities":0,"injured":2,"notes":"bench report %d",' ..
    '"sources":[{"name":"WAFA","url":"https://wafa.ps/","reliability":"B","credibility":2}]}',
    counter)
  return wrk.format(nil, "/api/v1/reports", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
