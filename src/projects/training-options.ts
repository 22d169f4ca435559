import { AppError } from '../errors';
import { DEFAULT_SENSITIVITY } from '../engine/calibration';
import type { TrainOptions } from '../engine/train';
import type { Orientation } from '../engine/training/orientation';

/**
 * Options a model carries on its record: how to train it (from CreateModel to a possibly resumed
 * training) and, once trained, how sensitive its decision is. Protocol clients have no fields
 * for them, so they travel as tags under our own prefix, which AWS SDK code can already send
 * (CreateModel's Tags, TagResource); GraphQL takes them as typed input and stores them the same
 * way, so both entrances, every replica and a restart see one value.
 */
export const ORIENTATION_TAG = 'lookout-gateway:orientation';
export const SENSITIVITY_TAG = 'lookout-gateway:sensitivity';

const ORIENTATIONS: readonly Orientation[] = ['auto', 'any', 'fixed'];

const isSensitivity = (value: string) => /^(0?\.\d+)$/.test(value) && Number(value) > 0 && Number(value) < 1;

/** Refuses a tag under our prefix that we do not understand, before anything is recorded. */
export function checkModelTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith('lookout-gateway:')) continue;
    if (key === ORIENTATION_TAG) {
      if (!ORIENTATIONS.includes(value as Orientation)) throw new AppError('BAD_USER_INPUT', `The tag ${ORIENTATION_TAG} takes auto, any or fixed.`);
    } else if (key === SENSITIVITY_TAG) {
      if (!isSensitivity(value)) throw new AppError('BAD_USER_INPUT', `The tag ${SENSITIVITY_TAG} takes a decimal strictly between 0 and 1, such as 0.7.`);
    } else {
      throw new AppError('BAD_USER_INPUT', `Unknown tag ${key.slice(0, 128)}; the gateway knows ${ORIENTATION_TAG} and ${SENSITIVITY_TAG}.`);
    }
  }
}

export function trainOptionsFromTags(tags: Record<string, string> | undefined): Pick<TrainOptions, 'orientation'> {
  const orientation = tags?.[ORIENTATION_TAG];
  return ORIENTATIONS.includes(orientation as Orientation) ? { orientation: orientation as Orientation } : {};
}

export function sensitivityFromTags(tags: Record<string, string> | undefined): number {
  const value = tags?.[SENSITIVITY_TAG];
  return value !== undefined && isSensitivity(value) ? Number(value) : DEFAULT_SENSITIVITY;
}
