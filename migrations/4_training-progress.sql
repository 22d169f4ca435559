-- How far the training under a lease has got, written with each renewal so every replica can show it.
ALTER TABLE training_leases ADD COLUMN progress jsonb;
