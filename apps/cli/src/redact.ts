import { redactSecrets } from '@smartstock/common';

/** The project's one redaction (@smartstock/common): apikey=..., URL passwords, and this run's secrets. */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}
