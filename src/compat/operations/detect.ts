import { lookoutResult } from '../../engine/detector';
import { AppError } from '../../errors';
import { checkImage } from '../../detection/image-input';
import { imageLimits } from '../../config';
import type { Operation } from '../operation';
import { check, modelVersion, projectName } from '../shapes';

const DETECT = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/models\/(?<modelVersion>[^/]+)\/detect$/;
const ACCEPTED = new Set(['image/jpeg', 'image/png']);

/**
 * DetectAnomalies: the raw image is the body. It takes the same path as a GraphQL detection
 * (cache, single flight, backend), but keeps the service's rule that only a HOSTED model answers.
 */
export const detectOperation: Operation = {
  name: 'DetectAnomalies',
  method: 'POST',
  path: DETECT,
  status: 200,
  async handle(req) {
    const project = check(projectName, req.labels.projectName, 'projectName');
    const version = check(modelVersion, req.labels.modelVersion, 'modelVersion');
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    // The service's own message, which scripts written against it may match on.
    if (!ACCEPTED.has(type)) throw new AppError('BAD_USER_INPUT', 'content-type must be one of the following. image/jpeg, image/png');
    // Unknown project and unknown model are told apart, as ResourceType says.
    req.projects.models.model(project, version);
    const { services } = req;
    const image = checkImage(req.body, req.bodySha256, type, imageLimits(services.config), 'stored');
    const { detection } = await services.detections.detect(image, project, version, req.signal);
    let mask: Buffer | null = null;
    if (detection.anomalies) {
      // The cache may have let the mask go while keeping the result; the backend draws it again.
      mask = await services.detections.mask(detection.id);
      if (!mask) {
        const model = await services.detections.resolveModel(project, detection.version);
        mask = (await services.detections.backend.detect(image, model, req.signal)).mask?.png ?? null;
      }
    }
    return { DetectAnomalyResult: lookoutResult({ ...detection, maskPng: mask }) };
  },
};
