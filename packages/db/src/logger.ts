// The one Logger type of the project lives in @smartstock/common.
export { type Logger, noopLogger } from '@smartstock/common';
