-- Rate-limit and quota counters shared by every API instance (issue 10): one row per key (a limit's name and
-- who it counts: a client address, an account, a reseller, a customer), its hits in the window that ends at
-- resets_at. Unlogged: counters are cheap to lose in a crash (they only start again from zero), and writing
-- them skips the WAL on every limited request.
CREATE UNLOGGED TABLE rate_limit_counters (
  key text PRIMARY KEY,
  hits integer NOT NULL CHECK (hits >= 0),
  window_started_at timestamptz NOT NULL DEFAULT now(),
  resets_at timestamptz NOT NULL
);
-- The sweep of windows long over.
CREATE INDEX rate_limit_counters_resets_at ON rate_limit_counters (resets_at);
