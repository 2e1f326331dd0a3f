import { describe, expect, it } from 'vitest';
import { HTTP_STATUS_BY_CODE, httpStatusOf } from '../../src/core/errorStatus.js';

describe('httpStatusOf', () => {
  it('maps bad input to 400 (a bad cursor included), unknown to 404, wrong state to 409, unavailable to 503', () => {
    expect(['INVALID_SESSION_ID', 'INVALID_ARGUMENT', 'UNKNOWN_SIGNAL', 'INVALID_CURSOR'].map((c) => httpStatusOf(c as never))).toEqual([400, 400, 400, 400]);
    expect(httpStatusOf('SESSION_NOT_FOUND')).toBe(404);
    expect(httpStatusOf('SESSION_NOT_LIVE')).toBe(409);
    expect(httpStatusOf('UNAVAILABLE')).toBe(503);
    expect(httpStatusOf('INTERNAL')).toBe(500);
    expect(httpStatusOf('SOMETHING_NEW' as never)).toBe(500);
    expect(Object.keys(HTTP_STATUS_BY_CODE)).toHaveLength(13);
  });
});
