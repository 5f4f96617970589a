import { createHash } from 'node:crypto';

/** FMP's error bodies, verbatim from real captures (see test/fixtures/fmp/README.md). */
export const FMP_MESSAGES = {
  invalidKey:
    'Invalid API KEY. Feel free to create a Free API Key or visit https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more information.',
  limitReach:
    'Limit Reach . Please upgrade your plan or visit our documentation for more details at https://site.financialmodelingprep.com/',
  restricted:
    'Restricted Endpoint: This endpoint is not available under your current subscription please visit our subscription page to upgrade your plan.',
  historyDepth:
    'Restricted Data: historical data before this date is not available under your current subscription please visit our subscription page to upgrade your plan.',
  legacy:
    'Legacy Endpoint : Due to Legacy endpoints being no longer supported - This endpoint is only available for legacy users who have valid subscriptions prior August 31, 2025. Please visit our subscription page to upgrade your plan or contact us at https://site.financialmodelingprep.com/developer/docs/pricing',
} as const;

/** FMP (Express behind nginx) pretty-prints JSON with two spaces: the captured 429 is 150 bytes exactly so. */
export function fmpJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Express's weak ETag: byte length in hex, then the first 27 characters of the base64 SHA-1. */
export function expressEtag(body: string): string {
  const length = Buffer.byteLength(body);
  const digest = createHash('sha1').update(body, 'utf8').digest('base64').slice(0, 27);
  return `W/"${length.toString(16)}-${digest}"`;
}

const COMMON_HEADERS = {
  server: 'nginx/1.18.0 (Ubuntu)',
  'x-powered-by': 'Express',
  'access-control-allow-origin': '*',
  'x-frame-options': 'SAMEORIGIN',
};

export function fmpHeaders(body: string, contentType: string): Record<string, string> {
  return {
    ...COMMON_HEADERS,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    etag: expressEtag(body),
  };
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const CSV_TYPE = 'text/csv; charset=utf-8';
export const HTML_TYPE = 'text/html; charset=utf-8';

/** The bodies nginx and Express send for 5xx answers. */
export function serverErrorBody(status: number): { body: string; contentType: string } {
  if (status === 500) return { body: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' };
  const title =
    status === 502
      ? '502 Bad Gateway'
      : status === 503
        ? '503 Service Temporarily Unavailable'
        : '504 Gateway Time-out';
  return {
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n`,
    contentType: HTML_TYPE,
  };
}
