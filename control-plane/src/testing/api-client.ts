import { listProcedures } from '../trpc/procedures';

const TYPES = new Map(listProcedures().map((p) => [p.path, p.type]));

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The procedure's result on success. */
  data: T;
  /** The error body (`{ message, code, data: { code, httpStatus, fieldErrors, ... } }`) on failure. */
  error: {
    message: string;
    data: { code: string; httpStatus: number; fieldErrors?: Record<string, string[]>; traceId?: string };
  } | null;
}

/** Which procedures are queries (GET) and which are mutations (POST), read from the router itself. */
export function procedureType(path: string): 'query' | 'mutation' {
  const type = TYPES.get(path);
  if (!type) throw new Error(`no procedure ${path}`);
  return type === 'query' ? 'query' : 'mutation';
}

/**
 * A tiny real-HTTP client speaking tRPC's wire format (non-batched, no transformer),
 * keeping its session cookie like a browser does. Tests use it to act as one person.
 */
export class ApiClient {
  private cookie: string | null = null;
  bearer: string | null = null;

  constructor(
    readonly baseUrl: string,
    public tenant: string | null = null,
  ) {}

  async login(email: string, password: string): Promise<ApiResponse> {
    const response = await this.call('auth.login', { email, password });
    if (response.status !== 200)
      throw new Error(`login as ${email} failed: ${response.status} ${JSON.stringify(response.error)}`);
    return response;
  }

  /** Calls a procedure over HTTP; the input is sent exactly as given, valid or not. */
  async call<T = unknown>(
    path: string,
    input?: unknown,
    options: { tenant?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const tenant = options.tenant === undefined ? this.tenant : options.tenant;
    if (tenant) headers['x-tenant'] = tenant;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    let response: Response;
    if (procedureType(path) === 'query') {
      const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      response = await fetch(`${this.baseUrl}/trpc/${path}${query}`, { headers });
    } else {
      headers['content-type'] = 'application/json';
      response = await fetch(`${this.baseUrl}/trpc/${path}`, {
        method: 'POST',
        headers,
        body: input === undefined ? undefined : JSON.stringify(input),
      });
    }
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('rc_session='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'rc_session=' ? null : value;
    }
    const body = (await response.json()) as { result?: { data: T }; error?: ApiResponse['error'] };
    return {
      status: response.status,
      headers: response.headers,
      data: body.result?.data as T,
      error: body.error ?? null,
    };
  }
}
