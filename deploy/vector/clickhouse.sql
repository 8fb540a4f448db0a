-- ClickHouse tables for deploy/vector/vector.yaml: one column per record field, typed as
-- `allowdns logs sql` types them (README "Records at scale"), plus the agent's allowdns_host.
CREATE DATABASE IF NOT EXISTS allowdns;

CREATE TABLE IF NOT EXISTS allowdns.connections (
  timestamp DateTime64(3, 'UTC'),
  task_id Nullable(String),
  user Nullable(String),
  direction LowCardinality(Nullable(String)),
  domain Nullable(String),
  port Nullable(Int32),
  protocol LowCardinality(Nullable(String)),
  sni Nullable(String),
  bytes_sent Nullable(Int64),
  bytes_received Nullable(Int64),
  duration_ms Nullable(Int64),
  result LowCardinality(Nullable(String)),
  allowlist_rule Nullable(String),
  sandbox Nullable(String),
  client_ip Nullable(String),
  dst_ip Nullable(String),
  reason LowCardinality(Nullable(String)),
  host Nullable(String),
  policy_generation Nullable(Int64),
  policy_serial Nullable(Int64),
  path LowCardinality(Nullable(String)),
  via Nullable(String),
  proxy_status Nullable(Int32),
  packets Nullable(Int64),
  process Nullable(String),
  detail Nullable(String),
  count Int64 DEFAULT 1,
  limit LowCardinality(Nullable(String)),
  allowdns_host LowCardinality(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (allowdns_host, timestamp);

CREATE TABLE IF NOT EXISTS allowdns.queries (
  timestamp DateTime64(3, 'UTC'),
  sandbox Nullable(String),
  task_id Nullable(String),
  user Nullable(String),
  client_ip Nullable(String),
  name Nullable(String),
  type LowCardinality(Nullable(String)),
  result LowCardinality(Nullable(String)),
  rcode LowCardinality(Nullable(String)),
  allowlist_rule Nullable(String),
  answers Array(String),
  upstream Nullable(String),
  cached Nullable(Bool),
  duration_us Nullable(Int64),
  reason LowCardinality(Nullable(String)),
  policy_generation Nullable(Int64),
  policy_serial Nullable(Int64),
  count Int64 DEFAULT 1,
  limit LowCardinality(Nullable(String)),
  allowdns_host LowCardinality(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (allowdns_host, timestamp);
