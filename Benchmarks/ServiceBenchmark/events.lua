-- wrk script for service-bench: POST /v1/events with batches of 100 new events each
-- (80% push_opened on one of the 50 originals, 10% purchases, 10% custom events) for
-- 100,000 users, the mix engine-bench ingests. The key comes from CONNECTOR_API_KEY.
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    n = 0
    math.randomseed(tid * 7919 + os.time())
    key = os.getenv("CONNECTOR_API_KEY")
end

request = function()
    local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
    local parts = {}
    for i = 1, 100 do
        n = n + 1
        local id = string.format("w%d-%d-%d", tid, os.time(), n)
        local user = "u" .. math.random(0, 99999)
        local r = math.random()
        if r < 0.8 then
            parts[i] = string.format('{"id":"%s","user_id":"%s","time":"%s","type":"interaction","kind":"push_opened","campaign":"O%d"}',
                id, user, now, math.random(0, 49))
        elseif r < 0.9 then
            parts[i] = string.format('{"id":"%s","user_id":"%s","time":"%s","type":"purchase","product_id":"sku","price":9.5,"currency":"EUR"}',
                id, user, now)
        else
            parts[i] = string.format('{"id":"%s","user_id":"%s","time":"%s","type":"custom","name":"viewed","properties":{"page":%d}}',
                id, user, now, math.random(1, 20))
        end
    end
    local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
    return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
