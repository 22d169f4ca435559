-- The registry's records (see src/projects/pg-records.ts). Each row keeps the record as the
-- gateway validates it (JSON) and a revision that every write compares and moves, so replicas
-- acting on a stale view are refused instead of overwriting each other.
CREATE TABLE projects (
  name text PRIMARY KEY,
  record jsonb NOT NULL,
  revision integer NOT NULL
);

CREATE TABLE datasets (
  project text NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('train', 'test')),
  record jsonb NOT NULL,
  revision integer NOT NULL,
  PRIMARY KEY (project, type)
);

CREATE TABLE models (
  project text NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  version integer NOT NULL,
  -- For operators and for claiming work: which models are training, hosted, ...
  status text GENERATED ALWAYS AS (record ->> 'status') STORED,
  record jsonb NOT NULL,
  revision integer NOT NULL,
  PRIMARY KEY (project, version)
);

CREATE INDEX models_by_status ON models (status);
