/** The broker's API table: one handler per API key. */

import type { Logger } from '../../log.js';
import { encodeApiVersionsResponse } from '../../protocol/apis/api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Broker } from '../broker.js';
import { RequestRouter } from '../request-router.js';
import { apiVersionsHandler, apiVersionsResponse } from './api-versions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { fetchHandler } from './fetch.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';

export function registerHandlers(
  broker: () => Broker,
  log: Logger,
  maxRequestElements?: number,
): RequestRouter {
  const router: RequestRouter = new RequestRouter(
    log,
    (w) => encodeApiVersionsResponse(w, 0, apiVersionsResponse(router.specs, ErrorCode.UNSUPPORTED_VERSION)),
    maxRequestElements,
  );
  router.register(apiVersionsHandler(() => router.specs));
  router.register(metadataHandler(broker));
  router.register(produceHandler(broker));
  router.register(fetchHandler(broker));
  router.register(listOffsetsHandler(broker));
  router.register(createTopicsHandler(broker));
  router.register(deleteTopicsHandler(broker));
  return router;
}
