/**
 * What the HTTP API needs of access control: the port the composition root fills with the gRPC
 * service's own guard, so API keys, per-key portfolio permissions, key rate limits, the in-flight
 * bound and draining apply to the dashboard exactly as to gRPC.
 */

/** The credentials a request presents: the `x-api-key` header, else `authorization: Bearer KEY`. */
export interface HttpCredentials {
  readonly apiKey?: string | undefined;
  readonly authorization?: string | undefined;
}

/** read: a query; write: a trade or reset (shed under overload, as on gRPC); stream: live updates (counted as a trade stream). */
export type AccessKind = 'read' | 'write' | 'stream';

export interface HttpAccess {
  /** True when API keys are configured (the page then asks for one). */
  readonly keysRequired: boolean;
  /**
   * Admits one call: throws the guard's ExecutorError (UNAUTHENTICATED, PERMISSION_DENIED,
   * RATE_LIMITED, OVERLOADED, SHUTTING_DOWN, TOO_MANY_STREAMS) or returns the admission to release
   * once answered. portfolioId: the portfolio touched ("" = default), undefined for none.
   */
  admit(credentials: HttpCredentials, portfolioId: string | undefined, kind: AccessKind): { release(): void };
  /** Whether these credentials may use the portfolio (filters the overview); never throws. */
  mayUse(credentials: HttpCredentials, portfolioId: string): boolean;
}

/** No keys: every call admitted (the embedded, localhost default). */
export const OPEN_ACCESS: HttpAccess = {
  keysRequired: false,
  admit: () => ({ release: () => undefined }),
  mayUse: () => true,
};
