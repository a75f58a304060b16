-- socklab bench-peers: wrk's own summary as one JSON line on stdout, after its usual report.
-- Latencies are wrk's, in microseconds; requests counts every response wrk read (any status).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'socklab-wrk {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%.1f,"p99_us":%.1f,"max_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
