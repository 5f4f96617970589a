export { type Brand, defineBrand } from './brand.js';
export { type Logger, noopLogger, withFields } from './logger.js';
export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  MIN_SECRET_LENGTH,
  REDACTED,
  redactAndBound,
  redactSecrets,
} from './redact.js';
export { displayUrl, secretsOf } from './urls.js';
