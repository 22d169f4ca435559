import { open } from 'node:fs/promises';

/**
 * Writes a file and fsyncs it before returning, so a rename that follows publishes complete
 * bytes even across a power cut (rename alone orders nothing with the data's write-back).
 */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
