-- The tables SQLsmith's --log-to writes (its INSERTs and UPDATE name these
-- columns), and the server's csvlog loaded by run.sh.
CREATE TABLE instance (
  id       bigserial PRIMARY KEY,
  rev      text, target text, hostname text, version text, seed text,
  started  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE error (
  id       bigint REFERENCES instance,
  msg      text,
  query    text,
  sqlstate text,
  errid    bigserial PRIMARY KEY
);
CREATE TABLE stat (
  id        bigint REFERENCES instance,
  generated bigint, level float8, nodes float8, retries float8,
  updated   timestamptz, impedance jsonb
);
-- PostgreSQL 15 csvlog columns ("Using CSV-Format Log Output").
CREATE TABLE server_log (
  log_time timestamptz(3), user_name text, database_name text, process_id int,
  connection_from text, session_id text, session_line_num bigint, command_tag text,
  session_start_time timestamptz, virtual_transaction_id text, transaction_id bigint,
  error_severity text, sql_state_code text, message text, detail text, hint text,
  internal_query text, internal_query_pos int, context text, query text, query_pos int,
  location text, application_name text, backend_type text, leader_pid int, query_id bigint
);
