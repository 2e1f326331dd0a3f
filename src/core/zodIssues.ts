import type { z } from 'zod';

/**
 * The first problem zod found, as `path: message` for an error message that names the field
 * (`since: Invalid ISO datetime`); `whole` names the path when the value itself is wrong
 * (default: the message alone).
 */
export function firstIssue(error: z.ZodError, whole?: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.') || whole;
  return path === undefined ? issue.message : `${path}: ${issue.message}`;
}
