-- Which replica runs a training, and until when it must renew its claim (src/projects/training-leases.ts).
CREATE TABLE training_leases (
  project text NOT NULL,
  version integer NOT NULL,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (project, version),
  FOREIGN KEY (project, version) REFERENCES models (project, version) ON DELETE CASCADE
);
