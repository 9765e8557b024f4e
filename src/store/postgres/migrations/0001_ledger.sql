-- The shared ledger: the design and why each part is there is in src/store/postgres/postgres-ledger.ts.

-- One row a portfolio: its committed state and the row every change locks (SELECT ... FOR UPDATE).
-- state is NULL only inside the transaction that creates the row; such a row is never committed.
CREATE TABLE portfolios (
  portfolio_id   text PRIMARY KEY,
  state          jsonb,
  sequence       bigint NOT NULL DEFAULT 0,
  reset_sequence bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every ledger event of every portfolio, never updated or deleted: the history replay rebuilds from.
-- id orders events across portfolios for the trade feed; executor_id tells the feed whose they are.
CREATE TABLE ledger_events (
  portfolio_id text NOT NULL REFERENCES portfolios (portfolio_id),
  sequence     bigint NOT NULL,
  id           bigserial NOT NULL UNIQUE,
  kind         text NOT NULL CHECK (kind IN ('portfolio_created', 'portfolio_reset', 'trade')),
  at_ms        double precision NOT NULL,
  request_id   text,
  executor_id  text NOT NULL,
  event        jsonb NOT NULL,
  PRIMARY KEY (portfolio_id, sequence)
);

-- The idempotency key of each trade since its portfolio's last reset (request ids lower-cased).
CREATE TABLE trade_requests (
  portfolio_id text NOT NULL REFERENCES portfolios (portfolio_id),
  request_id   text NOT NULL,
  sequence     bigint NOT NULL,
  fingerprint  text NOT NULL,
  PRIMARY KEY (portfolio_id, request_id),
  FOREIGN KEY (portfolio_id, sequence) REFERENCES ledger_events (portfolio_id, sequence)
);

-- Marks since each portfolio's last reset; value is a double for thinning a range only, never money.
-- No foreign key: a mark is taken beside the ledger and must not wait on a portfolio's creation.
CREATE TABLE marks (
  portfolio_id text NOT NULL,
  mark_id      bigserial PRIMARY KEY,
  sequence     bigint NOT NULL,
  at_ms        double precision NOT NULL,
  value        double precision NOT NULL,
  record       jsonb NOT NULL
);
CREATE INDEX marks_by_time ON marks (portfolio_id, at_ms, mark_id);
