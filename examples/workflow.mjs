#!/usr/bin/env node
// A demo workflow on mcpscope's live-session API: it records a few nested spans, then waits
// for a person (or a model, through `mcpscope serve`) to approve its plan, then finishes.
//
//   node examples/workflow.mjs --traces-dir DIR [--title T]
//
// Prints `session <id>` on stderr once it is live. Answer it with the signal `approve_plan`, e.g.
//   curl -X POST http://127.0.0.1:7800/_inspector/signal/<id> -H "authorization: Bearer $TOKEN" \
//        -H 'content-type: application/json' -d '{"signal":"approve_plan","payload":{"approved":true,"budget":40}}'
// or the MCP tool send_signal. Exit code: 0 completed, 3 not approved or cancelled, 1 failed, 2 usage.
import { parseArgs } from 'node:util';
import { startLiveSession } from 'mcpscope';

const PLAN_SCHEMA = {
  type: 'object',
  required: ['approved'],
  properties: { approved: { type: 'boolean' }, budget: { type: 'integer', minimum: 0, maximum: 100 } },
  additionalProperties: false,
};

let args;
try {
  args = parseArgs({ options: { 'traces-dir': { type: 'string' }, title: { type: 'string' } }, strict: true }).values;
} catch (err) {
  process.stderr.write(`${err.message}\nusage: node examples/workflow.mjs --traces-dir DIR [--title T]\n`);
  process.exit(2);
}
if (!args['traces-dir']) {
  process.stderr.write('usage: node examples/workflow.mjs --traces-dir DIR [--title T]\n');
  process.exit(2);
}

const session = await startLiveSession({
  tracesDir: args['traces-dir'],
  engine: 'workflow',
  title: args.title ?? 'nightly import',
  log: (line) => process.stderr.write(`workflow: ${line}\n`),
});
process.stderr.write(`session ${session.sessionId}\n`);
const { tracer } = session;
const stop = () => void session.finish('cancelled', 'interrupted');
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

let status = 'completed';
let reason;
try {
  const plan = await tracer.startActiveSpan('plan import', async (span) => {
    const rows = await tracer.startActiveSpan('fetch rows', async (s) => {
      s.setAttribute('rows.source', 'demo://orders');
      s.setAttribute('rows.count', 42);
      return 42;
    });
    await tracer.startActiveSpan('validate rows', async (s) => {
      s.addEvent('checked', { rows, invalid: 0 });
    });
    span.setAttribute('mcp.state.plan_json', JSON.stringify({ rows }));
    return { rows };
  });

  const answer = await tracer.startActiveSpan('wait for approval', async (span) => {
    const payload = await session.waitForSignal('approve_plan', { prompt: `Approve the plan to import ${plan.rows} rows? (budget 0-100)`, schema: PLAN_SCHEMA });
    span.setAttribute('mcp.result.answer_json', JSON.stringify(payload));
    return payload;
  });

  if (answer.approved) {
    await tracer.startActiveSpan('import rows', async (span) => {
      span.setAttribute('import.budget', answer.budget ?? 100);
      span.setAttribute('import.rows', plan.rows);
    });
  } else {
    status = 'cancelled';
    reason = 'plan not approved';
  }
} catch (err) {
  // Cancelled from outside (the cancel signal, or SIGINT): the session is already finishing.
  if (session.finished) status = session.meta().status;
  else {
    status = 'failed';
    reason = err instanceof Error ? err.message : String(err);
  }
}
await session.finish(status, reason);
process.stderr.write(`finished ${session.meta().status}\n`);
process.exitCode = status === 'completed' ? 0 : status === 'failed' ? 1 : 3;
