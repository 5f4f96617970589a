import { redactSecrets } from '@smartstock/sync-logger';

/** One place for redaction: the sync-logger's rules (apikey=..., URL passwords) plus this run's secrets. */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, [...secrets]);
}
