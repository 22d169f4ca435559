import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { exists } from '../lib/exists';
import { FileRecords } from './file-records';
import { isStale, type RecordStore } from './record-store';

/** Left in DATA_DIR once its records are in the database, so they are never imported twice. */
export const IMPORTED_MARKER = 'records-moved-to-database';

/**
 * Scaling out must not lose a trained model: the first start with DATABASE_URL on a data folder
 * that kept its records in files copies them (projects, datasets, models with their statuses)
 * into the database. The files stay as they were, as a backup; the marker keeps a later start
 * from importing them again (which would bring back projects deleted since). A project another
 * replica already put in the database is left as the database has it.
 */
export async function importFileRecords(dataDir: string, target: RecordStore, log: Logger): Promise<string[]> {
  if (target.kind === 'files') return [];
  const marker = join(dataDir, IMPORTED_MARKER);
  if (await exists(marker)) return [];
  const found = await new FileRecords(dataDir).loadAll();
  const imported: string[] = [];
  for (const p of found) {
    try {
      await target.saveProject(p.project, null);
    } catch (err) {
      if (isStale(err)) {
        log.warn({ project: p.project.name }, 'a project in DATA_DIR is already in the database; the database keeps its own');
        continue;
      }
      throw err;
    }
    for (const d of p.datasets) await target.saveDataset(p.project.name, d.record, null);
    for (const m of p.models) await target.saveModel(p.project.name, m.record, null);
    imported.push(p.project.name);
  }
  if (found.length) log.info({ projects: imported }, 'moved the records in DATA_DIR into the database (the files stay as a backup)');
  await writeFile(marker, `The records of this folder were copied into the database on ${new Date().toISOString()}; delete this file to copy them again.\n`);
  return imported;
}
