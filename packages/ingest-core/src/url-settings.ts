import { z } from 'zod';

/**
 * The URL settings' shapes, owned here once: the CLI (flags, environment) and the Action (inputs) check the
 * database's, FMP's, Redis's and the webhooks' URLs with these, so a URL one accepts the other cannot refuse.
 * None of them echoes the value: a URL may carry a password or a webhook's secret path.
 */

function parse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

const withProtocol = (protocol: RegExp, message: string) =>
  z.string().refine((s) => protocol.test(parse(s)?.protocol ?? ''), message);

/** One zod schema per URL setting (database, FMP origin, webhook, Redis), each with the message that explains it. */
export const URL_SETTING = {
  /** The PostgreSQL database. */
  database: withProtocol(/^postgres(ql)?:$/, 'must be a postgresql://user:password@host:5432/database URL'),
  /** FMP's origin (or the sandbox's): no path, query or fragment; normalised to the origin. */
  fmpBaseUrl: z
    .string()
    .refine((s) => {
      const u = parse(s);
      return (
        u !== null &&
        /^https?:$/.test(u.protocol) &&
        (u.pathname === '/' || u.pathname === '') &&
        !u.search &&
        !u.hash
      );
    }, 'must be an origin such as https://financialmodelingprep.com (no path)')
    .transform((s) => parse(s)?.origin ?? s),
  /** A webhook or a dead-man's-switch check URL. */
  http: withProtocol(/^https?:$/, 'must be an http(s) URL'),
  /** The shared FMP budget's Redis. */
  redis: withProtocol(/^rediss?:$/, 'must be a redis:// or rediss:// URL'),
} as const;
