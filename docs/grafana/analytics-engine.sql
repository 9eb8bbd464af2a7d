-- Workers Analytics Engine: the cross-tenant view of attempts (dataset scheduler_attempts, one
-- point per finished attempt; the columns are listed in docs/observability.md). Run them with the
-- SQL API or from Grafana (docs/dashboards.md). Points are sampled under load: every count is
-- weighted by _sample_interval. In Grafana, replace `timestamp > NOW() - INTERVAL '…'` with the
-- data source's time-range macro (the Altinity plugin's $timeFilter).
-- test/dashboards.test.ts checks every column used here against the data point the consumer writes.

-- name: attempts_by_outcome (time series, per minute)
SELECT intDiv(toUInt32(timestamp), 60) * 60 AS t,
       blob4 AS outcome,
       SUM(_sample_interval) AS attempts
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '6' HOUR
GROUP BY t, outcome
ORDER BY t;

-- name: p99_fire_lag_by_tenant (time series, per 5 minutes; first attempts only: a retry's lag includes its backoff)
SELECT intDiv(toUInt32(timestamp), 300) * 300 AS t,
       blob1 AS tenant_id,
       quantileExactWeighted(0.99)(double1, _sample_interval) AS p99_fire_lag_ms
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '6' HOUR AND double3 = 1
GROUP BY t, tenant_id
ORDER BY t;

-- name: p99_fire_lag_by_priority (time series, per 5 minutes)
SELECT intDiv(toUInt32(timestamp), 300) * 300 AS t,
       blob3 AS priority,
       quantileExactWeighted(0.99)(double1, _sample_interval) AS p99_fire_lag_ms
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '6' HOUR AND double3 = 1
GROUP BY t, priority
ORDER BY t;

-- name: failure_rate_by_tenant (table)
SELECT blob1 AS tenant_id,
       SUM(_sample_interval) AS attempts,
       SUM(IF(blob4 = 'succeeded', 0, _sample_interval)) / SUM(_sample_interval) AS failure_rate
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '1' DAY
GROUP BY tenant_id
HAVING attempts > 100
ORDER BY failure_rate DESC
LIMIT 20;

-- name: targets_answering_429_or_5xx (table: whose targets push back)
SELECT blob1 AS tenant_id,
       SUM(IF(double4 = 429, _sample_interval, 0)) AS target_429s,
       SUM(IF(double4 >= 500, _sample_interval, 0)) AS target_5xx,
       SUM(IF(blob4 IN ('timeout', 'network_error'), _sample_interval, 0)) AS no_answer
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '1' HOUR
GROUP BY tenant_id
ORDER BY target_429s + target_5xx + no_answer DESC
LIMIT 20;

-- name: slowest_targets (table, by job)
SELECT blob1 AS tenant_id,
       blob2 AS job_id,
       quantileExactWeighted(0.95)(double2, _sample_interval) AS p95_duration_ms,
       SUM(_sample_interval) AS attempts
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '1' HOUR
GROUP BY tenant_id, job_id
ORDER BY p95_duration_ms DESC
LIMIT 20;

-- name: busiest_tenants (table)
SELECT blob1 AS tenant_id,
       SUM(_sample_interval) AS attempts,
       SUM(IF(double3 > 1, _sample_interval, 0)) AS retries
FROM scheduler_attempts
WHERE timestamp > NOW() - INTERVAL '1' HOUR
GROUP BY tenant_id
ORDER BY attempts DESC
LIMIT 20;
