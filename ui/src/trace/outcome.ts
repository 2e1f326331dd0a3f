import { classifyOutcome as classify, type OutcomeKind } from '../../../src/core/outcomeRule.js';

export type { OutcomeKind };

/**
 * The trace format's error classification (src/core/outcomeRule.ts, the rule core's
 * `spanOutcome` uses) for a compact row, whose method is '' when the span has none.
 */
export function classifyOutcome(isError: boolean, method: string, type: string | undefined, codeAttr: unknown): OutcomeKind {
  return classify(isError, method === '' ? undefined : method, type, codeAttr).kind;
}
