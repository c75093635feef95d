// Who may press the crash and revive buttons. Pure: the request's facts in,
// a refusal (status and why) or undefined out, tested as a table.
//
// Cross-site request forgery: a page on another site can make a browser POST
// a form here, but a form sends no custom header and no JSON content type,
// and a cross-origin fetch that does must first pass a CORS preflight, which
// this server never grants. So an action needs `X-Actor-KV: 1` and
// `Content-Type: application/json`, and is refused when the browser says it
// comes from another site (Sec-Fetch-Site, Origin). Beyond that, only loopback
// clients that name the observer by a loopback name may act, unless a
// password is set (then anyone who sends it).

import { passwordMatches } from '../access';

/** What decides whether an action is allowed. */
export interface ActionRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The client's address. */
  remote: string;
}

export interface ActionPolicy {
  password: string | undefined;
  isLocalAddress: (address: string) => boolean;
}

/** Why an action is refused, as an HTTP status and a sentence. */
export interface Refusal {
  status: number;
  message: string;
}

/** The header every action must carry: forms cannot send it, and cross-site scripts cannot without a preflight. */
export const actionHeader = 'x-actor-kv';

/** The refusal for an action, or undefined when it may run. */
export function refuseAction(request: ActionRequest, policy: ActionPolicy): Refusal | undefined {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (header(actionHeader) !== '1') return { status: 403, message: 'an action needs the header X-Actor-KV: 1' };
  if (!/^application\/json\s*(;|$)/i.test(header('content-type') ?? '')) return { status: 415, message: 'an action takes a JSON body (Content-Type: application/json)' };
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, message: 'cross-site actions are refused' };
  const origin = header('origin');
  if (origin !== undefined && hostOf(origin) !== header('host')) return { status: 403, message: 'cross-site actions are refused' };
  if (policy.password !== undefined) {
    const given = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
    if (given === undefined || !passwordMatches(given, policy.password)) return { status: 401, message: 'this observer needs its password (Authorization: Bearer <password>)' };
    return undefined;
  }
  if (!policy.isLocalAddress(request.remote)) return { status: 403, message: 'actions are allowed from loopback only, unless the observer has a password (--observer-password)' };
  // A loopback client may still be a browser on this machine driven by a
  // hostile site whose DNS name was rebound to 127.0.0.1: its Host and Origin
  // agree, so only the name gives it away. Bound beyond loopback the Host
  // check lets any name through, so the password-less loopback grant needs a
  // loopback name itself.
  if (!hostAllowed(header('host'), true)) return { status: 403, message: 'without a password, actions need a loopback name in Host (127.0.0.1, localhost, [::1])' };
  return undefined;
}

/** `http://host:port` -> `host:port`; anything unparsable gives undefined. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request's Host header names this observer: bound to loopback, it
 * answers only to loopback names, so a hostile site's DNS name rebound to
 * 127.0.0.1 cannot read it.
 */
export function hostAllowed(host: string | undefined, boundLoopback: boolean): boolean {
  if (!boundLoopback) return true;
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
