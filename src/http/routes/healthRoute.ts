import { packageInfo } from '../../core/version.js';
import { HttpError, sendJson } from '../errors.js';
import type { Route } from '../router.js';

/** `GET /_inspector/health` -> `{ name, version }`. */
export function healthRoute(): Route {
  return {
    path: '/_inspector/health',
    methods: {
      GET: ({ res, query }) => {
        if ([...query.keys()].length > 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'this route takes no query parameters');
        const { name, version } = packageInfo();
        sendJson(res, { name, version });
      },
    },
    auth: 'open',
  };
}
