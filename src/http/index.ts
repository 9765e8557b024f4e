/** The dashboard: HTTP server, JSON API and live updates (docs/dashboard.md). */
export { OPEN_ACCESS, type AccessKind, type HttpAccess, type HttpCredentials } from './access.js';
export { httpError, type ErrorBody } from './errors.js';
export { createLiveHub, DEFAULT_LIVE_INTERVAL_MS, type LiveHub, type LiveSink } from './live.js';
export { startHttpServer, type HealthSnapshot, type HttpServer, type HttpServerOptions } from './server.js';
