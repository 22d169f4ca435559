import { AppError } from '../errors';
import type { TrainOptions } from '../engine/train';
import type { Orientation } from '../engine/training/orientation';

/**
 * Training options a model carries from CreateModel to its (possibly resumed) training. Protocol
 * clients have no field for them, so they travel as tags under our own prefix, which AWS SDK code
 * can already send; GraphQL takes them as typed input and stores them the same way, so a
 * restart resumes a training with the options it was asked for.
 */
export const ORIENTATION_TAG = 'lookout-gateway:orientation';

const ORIENTATIONS: readonly Orientation[] = ['auto', 'any', 'fixed'];

/** Refuses a tag under our prefix that we do not understand, before the model is recorded. */
export function checkTrainingTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith('lookout-gateway:')) continue;
    if (key !== ORIENTATION_TAG) throw new AppError('BAD_USER_INPUT', `Unknown training tag ${key.slice(0, 128)}; the gateway knows ${ORIENTATION_TAG}.`);
    if (!ORIENTATIONS.includes(value as Orientation)) throw new AppError('BAD_USER_INPUT', `The tag ${ORIENTATION_TAG} takes auto, any or fixed.`);
  }
}

export function trainOptionsFromTags(tags: Record<string, string> | undefined): Pick<TrainOptions, 'orientation'> {
  const orientation = tags?.[ORIENTATION_TAG];
  return ORIENTATIONS.includes(orientation as Orientation) ? { orientation: orientation as Orientation } : {};
}
