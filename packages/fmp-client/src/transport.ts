/**
 * The HTTP under ofetch: the platform's fetch over an undici dispatcher of the client's own, passed per
 * request (never `setGlobalDispatcher`: a library must not change its host's networking).
 *
 * The dispatcher is undici's `EnvHttpProxyAgent`: keep-alive connections, and the proxy the environment names
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, read when the client is created) for corporate networks and
 * self-hosted runners behind a proxy; with none set it connects directly. Redirects are not followed
 * (`redirect: 'manual'`): fetch would send our `apikey` header on to wherever FMP's answer points, so a 3xx is
 * returned as it is and the client reports it. Each attempt has a deadline covering headers and body.
 */
import { EnvHttpProxyAgent } from 'undici';

/** A fetch that ofetch calls, with the client's dispatcher and a per-attempt deadline. */
export type ClientFetch = (
  input: string | URL,
  init?: RequestInit & { timeoutMs?: number | undefined },
) => Promise<Response>;

/** The exchange outlived its deadline (headers and body). */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'DeadlineError';
  }
}

/** A proxy-aware keep-alive dispatcher (see above); `close()` it when the client is done. */
export function createDispatcher(): EnvHttpProxyAgent {
  return new EnvHttpProxyAgent({ keepAliveTimeout: 5_000 });
}

/**
 * fetch through `dispatcher`, looked up on `globalThis` at each call (so a test's msw interception applies),
 * with `timeoutMs` as a deadline merged with the caller's stop signal. When the deadline is what ended the
 * exchange, the call rejects with a DeadlineError, whatever fetch reported.
 */
export function createClientFetch(
  dispatcher: EnvHttpProxyAgent,
  { redirect = 'manual' }: { redirect?: 'manual' | 'follow' } = {},
): ClientFetch {
  return async (input, init = {}) => {
    const { timeoutMs, signal, ...rest } = init;
    if (signal?.aborted) throw signal.reason;
    // One controller per attempt, fed by the caller's signal and by the deadline's own timer (a plain
    // setTimeout, so tests can run it on virtual time); the listener on the caller's long-lived signal is
    // removed when the attempt ends, so none piles up over a run.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new DeadlineError(timeoutMs)), timeoutMs);
    const options = { ...rest, redirect, dispatcher, signal: controller.signal };
    try {
      const response = await globalThis.fetch(input, options as unknown as RequestInit);
      // The body is read here, under the same deadline, so a stalled body is a timeout too.
      const body = await response.arrayBuffer();
      return new Response(body.byteLength === 0 && nullBody(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      // Whatever fetch reports once we aborted it, the caller learns why we did.
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

/** Statuses whose Response must not carry a body. */
function nullBody(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

/**
 * Downloads a file over the same HTTP stack (the environment's proxy, a deadline), following redirects: for
 * files that are not FMP's and carry no key, such as iShares' holdings CSV. Resolves with the buffered answer
 * whatever its status.
 */
export async function fetchFile(
  url: string,
  options: { timeoutMs?: number | undefined } = {},
): Promise<Response> {
  const dispatcher = createDispatcher();
  try {
    return await createClientFetch(dispatcher, { redirect: 'follow' })(url, {
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}
