/**
 * tus-js-client's HTTP stack with a stall timer on every request. A request that sends no byte
 * and gets no answer for `stallMs` is aborted and fails as a request with no response, which
 * tus-js-client retries the way it retries a dropped connection: it asks the server's offset
 * (HEAD) and resends from there. Without it a stalled chunk would sit until the idle timer around
 * the whole upload gave up on the step, and the next attempt would start the object from zero.
 *
 * The timer restarts whenever the body moves (tus's progress events, at most one per 100 ms) and
 * stops when the answer arrives. The send is settled here rather than by Node's 'error' event,
 * which an aborted ClientRequest does not promise to emit before an answer.
 */
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import { AppError } from '../errors.js';

export function stallGuardedStack(base: HttpStack, stallMs: number): HttpStack {
  return {
    getName: () => `${base.getName()} (stall ${stallMs} ms)`,
    createRequest(method: string, url: string): HttpRequest {
      const request = base.createRequest(method, url);
      let timer: NodeJS.Timeout | undefined;
      let stalled: (error: Error) => void = () => undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled(new AppError('storage_stalled', `Storage ${method} made no progress for ${stallMs} ms`, { status: 504, retryable: true }));
          void request.abort();
        }, stallMs);
      };
      return {
        getMethod: () => request.getMethod(),
        getURL: () => request.getURL(),
        setHeader: (header, value) => request.setHeader(header, value),
        getHeader: (header) => request.getHeader(header),
        setProgressHandler: (handler) =>
          request.setProgressHandler((bytesSent) => {
            arm();
            handler(bytesSent);
          }),
        async send(body: unknown): Promise<HttpResponse> {
          const stall = new Promise<never>((_, reject) => (stalled = reject));
          arm();
          try {
            return await Promise.race([request.send(body), stall]);
          } finally {
            clearTimeout(timer);
          }
        },
        abort: () => {
          clearTimeout(timer);
          return request.abort();
        },
        getUnderlyingObject: () => request.getUnderlyingObject() as unknown,
      };
    },
  };
}
