-- Client tokens (X-Amzn-Client-Token) and the answer they replay for 8 hours (src/projects/idempotency.ts).
CREATE TABLE client_tokens (
  key text PRIMARY KEY,
  params text NOT NULL,
  status integer NOT NULL,
  body jsonb,
  -- Epoch milliseconds, as the gateway counts time.
  expires bigint NOT NULL
);

CREATE INDEX client_tokens_by_expiry ON client_tokens (expires);
