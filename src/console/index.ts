// The lab's web console: register it on the lab's control server with
// `consoleRoutes(app, { descriptor: () => supervisor.descriptor() })`. See docs/console.md.

export { CONSOLE_ROUTE, type ConsoleOptions, consoleRoutes } from './routes.js';
export type { ConsoleState, FailoverAccepted } from './state-types.js';
