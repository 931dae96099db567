/**
 * Errors the user can act on, apart from bugs: a bad combination of options (nothing was
 * touched), or a drain that could not start (broker, topic, driver, handler module). Both mean
 * exit 2, "could not run".
 */

/** The options cannot work together. */
export class DrainUsageError extends Error {
  override name = 'DrainUsageError';
}

/** The drain could not start: nothing was consumed or committed. */
export class DrainSetupError extends Error {
  override name = 'DrainSetupError';
}
