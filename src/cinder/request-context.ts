// Who is asking, as the API layer resolved it from the Keystone token and the microversion header.

export interface RequestContext {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  /** The admin role: all projects, services, types, failover. */
  isAdmin: boolean;
  requestId: string;
  /** The negotiated volume API microversion, e.g. [3, 70]. */
  microversion: [number, number];
}

/** True when the request's microversion is at least major.minor. */
export function atLeast(context: RequestContext, major: number, minor: number): boolean {
  const [m, n] = context.microversion;
  return m > major || (m === major && n >= minor);
}
