import type { SessionCatalog } from '../../catalog/sessionCatalog.js';
import type { SessionFilter } from '../../catalog/sessionQuery.js';
import { assertSessionId } from '../../core/ids.js';
import { HttpError, sendJson } from '../errors.js';
import type { Route } from '../router.js';

const LIST_PARAMS = new Set(['status', 'engine', 'query', 'has_errors', 'since', 'until', 'limit', 'cursor']);

/**
 * `GET /_inspector/sessions` -> `{ sessions, next_cursor? }` with the filters of `list_sessions`
 * as query parameters (`status` and `engine` may repeat or be comma-separated). Unknown
 * parameters and bad values are 400; a bad cursor is 400 INVALID_CURSOR.
 */
export function sessionsRoute(catalog: Pick<SessionCatalog, 'query'>): Route {
  return {
    path: '/_inspector/sessions',
    methods: {
      GET: async ({ res, query }) => {
        sendJson(res, await catalog.query(parseFilter(query)));
      },
    },
    auth: 'open',
  };
}

/**
 * `GET /_inspector/sessions/{id}` -> `{ session, live? }`: the session as `GET /_inspector/sessions`
 * lists it, and while it is live what it holds and waits on (held items, waiters, paused,
 * cancelled). 400 INVALID_SESSION_ID, 404 SESSION_NOT_FOUND naming close matches.
 */
export function sessionRoute(catalog: Pick<SessionCatalog, 'detail'>): Route {
  return {
    path: '/_inspector/sessions/:id',
    methods: {
      GET: async ({ res, params }) => {
        sendJson(res, await catalog.detail(assertSessionId(params.id)));
      },
    },
    auth: 'open',
  };
}

function parseFilter(query: URLSearchParams): SessionFilter {
  const filter: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (!LIST_PARAMS.has(key)) throw new HttpError(400, 'INVALID_ARGUMENT', `unknown query parameter ${JSON.stringify(key.slice(0, 40))}`);
    const values = query.getAll(key);
    if (key === 'status' || key === 'engine') {
      const list = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
      if (list.length > 0) filter[key] = list;
    } else if (values.length > 1) {
      throw new HttpError(400, 'INVALID_ARGUMENT', `query parameter ${key} given more than once`);
    } else if (key === 'limit') {
      if (!/^\d{1,6}$/.test(values[0]!)) throw new HttpError(400, 'INVALID_ARGUMENT', 'limit must be an integer from 1 to 500');
      filter.limit = Number(values[0]);
    } else if (key === 'has_errors') {
      if (values[0] !== 'true' && values[0] !== 'false') throw new HttpError(400, 'INVALID_ARGUMENT', 'has_errors must be true or false');
      filter.has_errors = values[0] === 'true';
    } else {
      filter[key] = values[0];
    }
  }
  return filter as SessionFilter;
}
