-- wrk script for `procura serve` (README, Performance): POSTs the onboarding bench supplier
-- with the sanctions table and a fixed date, and prints the latency percentiles.
--   wrk -t2 -c16 -d10s --latency -s benches/hosts/post.lua \
--     http://127.0.0.1:8080/v1/policies/onboarding/evaluate
local file = assert(io.open("rules/data/onboarding-supplier.json"))
local supplier = file:read("*a")
file:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input": ' .. supplier .. ', "data": {"sanctioned": {"RU": true, "BY": true, "IR": true, "KP": true, "SY": true, "CU": true}}, "as_of": "2025-06-01"}'

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, %d errors\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout))
end
