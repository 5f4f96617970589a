import { createRequire } from 'node:module';
import type { HttpResponse as MswHttpResponse, http as mswHttp, RequestHandler } from 'msw';
import { HOLDINGS_PATH, SandboxCore, type SandboxCoreOptions } from './core.js';
import { SandboxError } from './errors.js';

export interface MswModule {
  http: typeof mswHttp;
  HttpResponse: typeof MswHttpResponse;
}

export interface SandboxHandlersOptions extends SandboxCoreOptions {
  /** Origin the handlers answer for (default `https://financialmodelingprep.com`). */
  baseUrl?: string | undefined;
  /** Origin of the holdings CSV (default: `baseUrl`); it is served at `/ishares/IWM_holdings.csv`. */
  holdingsBaseUrl?: string | undefined;
  /** An existing core to share state with (options other than the URLs are then ignored). */
  core?: SandboxCore | undefined;
  /** msw's `{ http, HttpResponse }`; by default msw is loaded from the caller's installation. */
  msw?: MswModule | undefined;
}

export type SandboxHandlers = RequestHandler[] & {
  readonly sandbox: SandboxCore;
  readonly holdingsUrl: string;
  /** Releases requests left hanging by the `timeout` fault. */
  dispose(): void;
};

function loadMsw(): MswModule {
  try {
    return createRequire(import.meta.url)('msw') as MswModule;
  } catch (error) {
    throw new SandboxError(
      'MSW_MISSING',
      'createSandboxHandlers needs msw (an optional peer dependency): install msw@^2',
      {
        cause: error,
      },
    );
  }
}

function origin(url: string, what: string): string {
  try {
    return new URL(url).origin;
  } catch (error) {
    throw new SandboxError('INVALID_OPTION', `${what} must be an absolute URL, got ${JSON.stringify(url)}`, {
      cause: error,
    });
  }
}

/** The sandbox as msw request handlers, answering exactly what the loopback server answers (same core). */
export function createSandboxHandlers(options: SandboxHandlersOptions = {}): SandboxHandlers {
  const { baseUrl, holdingsBaseUrl, core: given, msw: injected, ...coreOptions } = options;
  const msw = injected ?? loadMsw();
  const core = given ?? new SandboxCore(coreOptions);
  const apiOrigin = origin(baseUrl ?? 'https://financialmodelingprep.com', 'baseUrl');
  const holdingsOrigin = origin(holdingsBaseUrl ?? apiOrigin, 'holdingsBaseUrl');
  const hanging = new Set<() => void>();

  const resolver = async ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    const body = request.method === 'POST' ? await request.text() : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const reply = core.handle({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
    });
    if (reply.action === 'hang') {
      await new Promise<void>((resolve) => {
        const release = () => {
          hanging.delete(release);
          resolve();
        };
        hanging.add(release);
        request.signal.addEventListener('abort', release, { once: true });
      });
      return msw.HttpResponse.error();
    }
    if (reply.delayMs > 0) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.action === 'reset') return msw.HttpResponse.error();
    return new msw.HttpResponse(reply.body, { status: reply.status, headers: reply.headers });
  };

  const handlers: RequestHandler[] = [msw.http.all(`${apiOrigin}/*`, resolver)];
  if (holdingsOrigin !== apiOrigin)
    handlers.push(msw.http.get(`${holdingsOrigin}${HOLDINGS_PATH}`, resolver));
  return Object.assign(handlers, {
    sandbox: core,
    holdingsUrl: `${holdingsOrigin}${HOLDINGS_PATH}`,
    dispose: () => {
      for (const release of [...hanging]) release();
    },
  });
}
