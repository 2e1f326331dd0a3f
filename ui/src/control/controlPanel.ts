import { ApiError, postJson, sessionPath, type HeldItem, type LiveState, type Waiter } from '../api';
import { announce, formatTime, h } from '../dom';
import { schemaForm, type SchemaForm } from './schemaForm';

/** What the panel reports after a signal (the gateway's SignalResult). */
interface SignalResult {
  status: string;
  message: string;
}

/**
 * The control panel of a live session: pause / resume / step / cancel, the held requests with
 * approve and reject (with a reason) each, and a form per named signal the session waits on.
 * `update` re-renders from a LiveState (from the detail route, then LiveStateChanged events);
 * inputs being typed into are kept across updates of the same held item or waiter.
 */
export function controlPanel(sessionId: string, signedIn: () => boolean): { element: HTMLElement; update(live: LiveState): void } {
  const status = h('p', { class: 'control-status', id: 'control-status', role: 'status' });
  const pause = h('button', { type: 'button', id: 'control-pause' }, 'Pause');
  const resume = h('button', { type: 'button', id: 'control-resume' }, 'Resume');
  const step = h('button', { type: 'button', id: 'control-step', title: 'Let one request through while paused' }, 'Step');
  const cancel = h('button', { type: 'button', id: 'control-cancel', class: 'danger' }, 'Cancel session…');
  const cancelReason = h('input', { type: 'text', id: 'cancel-reason', placeholder: 'reason (optional)', 'aria-label': 'Cancel reason', maxlength: 500 });
  const cancelConfirm = h('button', { type: 'button', id: 'control-cancel-confirm', class: 'danger' }, 'Cancel the session');
  const cancelBack = h('button', { type: 'button' }, 'Keep running');
  const cancelBox = h('div', { class: 'cancel-confirm', hidden: true }, cancelReason, cancelConfirm, cancelBack);
  const heldList = h('ul', { class: 'held-list', id: 'held-list' });
  const heldSection = h('section', { class: 'held', 'aria-labelledby': 'held-title' }, h('h2', { id: 'held-title' }, 'Held requests'), heldList);
  const waitersBox = h('div', { class: 'waiters', id: 'waiters' });
  const signInNote = h('p', { class: 'muted', hidden: true }, 'Read-only: ', h('a', { href: '#/sign-in' }, 'sign in'), ' to steer this session.');
  const element = h(
    'section',
    { class: 'control-panel', 'aria-label': 'Control' },
    h('div', { class: 'control-buttons' }, pause, resume, step, cancel),
    cancelBox,
    signInNote,
    status,
    waitersBox,
    heldSection,
  );

  const heldRows = new Map<string, HTMLElement>();
  const waiterForms = new Map<string, { el: HTMLElement; form: SchemaForm; since: string }>();

  const send = async (signal: string, payload?: unknown): Promise<SignalResult | undefined> => {
    status.classList.remove('error');
    try {
      const path = signal === 'cancel' ? sessionPath('cancel', sessionId) : sessionPath('signal', sessionId);
      const body = signal === 'cancel' ? (payload ?? {}) : payload === undefined ? { signal } : { signal, payload };
      const result = await postJson<SignalResult>(path, body);
      status.textContent = result.message;
      announce(result.message);
      return result;
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : String(err);
      status.classList.add('error');
      throw err;
    }
  };
  const quiet = (p: Promise<unknown>) => void p.catch(() => undefined);

  pause.addEventListener('click', () => quiet(send('pause')));
  resume.addEventListener('click', () => quiet(send('resume')));
  step.addEventListener('click', () => quiet(send('step')));
  cancel.addEventListener('click', () => {
    cancelBox.hidden = false;
    cancelReason.focus();
  });
  cancelBack.addEventListener('click', () => {
    cancelBox.hidden = true;
    cancel.focus();
  });
  cancelConfirm.addEventListener('click', () => {
    const reason = cancelReason.value.trim();
    quiet(send('cancel', reason ? { reason } : {}).then(() => (cancelBox.hidden = true)));
  });

  const heldRow = (item: HeldItem) => {
    const key = String(item.id);
    const safe = key.replace(/[^\w-]/g, '_');
    const what = h('span', { class: 'held-what' }, h('strong', {}, item.method), item.target ? h('code', {}, ` ${item.target}`) : undefined, h('span', { class: 'muted small' }, ` #${key} · since ${formatTime(item.since)}`));
    const li = h('li', { 'data-held-id': key, 'data-awaiting-approval': String(item.awaiting_approval) }, what);
    if (item.awaiting_approval) {
      const reason = h('input', { type: 'text', placeholder: 'reason (optional)', 'aria-label': `Reason to reject ${item.method} #${key}`, id: `reject-reason-${safe}`, maxlength: 500 });
      const approve = h('button', { type: 'button', class: 'primary', 'data-action': 'approve' }, 'Approve');
      const reject = h('button', { type: 'button', class: 'danger', 'data-action': 'reject' }, 'Reject');
      approve.addEventListener('click', () => quiet(send('approve', { request_id: item.id })));
      reject.addEventListener('click', () => {
        const text = reason.value.trim();
        quiet(send('reject', text ? { request_id: item.id, reason: text } : { request_id: item.id }));
      });
      li.append(h('span', { class: 'held-actions' }, approve, reject, reason));
    } else {
      li.append(h('span', { class: 'muted small' }, ' waits for Resume or Step'));
    }
    return li;
  };

  const waiterForm = (w: Waiter) => {
    const safe = w.signal.replace(/[^\w-]/g, '_');
    const form = schemaForm(w.schema, `signal-${safe}`);
    const submit = h('button', { type: 'submit', class: 'primary' }, `Send ${w.signal}`);
    const el = h(
      'form',
      { class: 'waiter', 'data-signal': w.signal, novalidate: true, 'aria-labelledby': `waiter-${safe}-title` },
      h('h2', { id: `waiter-${safe}-title` }, 'Waiting on ', h('code', {}, w.signal)),
      w.prompt ? h('p', { class: 'prompt' }, w.prompt) : undefined,
      form.element,
      submit,
    );
    el.addEventListener('submit', (e) => {
      e.preventDefault();
      form.showServerError(undefined);
      const value = form.read();
      if (!value) return;
      submit.disabled = true;
      send(w.signal, value.payload)
        .catch((err: unknown) => form.showServerError(err instanceof ApiError ? err.message : String(err)))
        .finally(() => (submit.disabled = false));
    });
    return { el, form, since: w.since };
  };

  return {
    element,
    update(live) {
      const canSteer = signedIn();
      signInNote.hidden = canSteer;
      pause.disabled = !canSteer || live.paused || live.cancelled;
      resume.disabled = !canSteer || !live.paused || live.cancelled;
      step.disabled = !canSteer || !live.paused || live.cancelled;
      cancel.disabled = !canSteer || live.cancelled;
      element.dataset.paused = String(live.paused);

      const keys = new Set(live.held.map((i) => String(i.id)));
      for (const [k, el] of heldRows) if (!keys.has(k)) (el.remove(), heldRows.delete(k));
      for (const item of live.held) {
        const k = String(item.id);
        const existing = heldRows.get(k);
        if (existing && existing.dataset.awaitingApproval === String(item.awaiting_approval)) continue;
        const li = heldRow(item);
        if (existing) existing.replaceWith(li);
        heldRows.set(k, li);
      }
      // Arrival order, as the server lists them.
      for (const item of live.held) heldList.append(heldRows.get(String(item.id))!);
      heldSection.hidden = live.held.length === 0;
      for (const b of heldList.querySelectorAll('button')) b.disabled = !canSteer;

      const signals = new Set(live.waiters.map((w) => w.signal));
      for (const [s, f] of waiterForms) if (!signals.has(s)) (f.el.remove(), waiterForms.delete(s));
      for (const w of live.waiters) {
        const existing = waiterForms.get(w.signal);
        if (existing && existing.since === w.since) continue;
        const made = waiterForm(w);
        if (existing) existing.el.replaceWith(made.el);
        else waitersBox.append(made.el);
        waiterForms.set(w.signal, made);
      }
      for (const b of waitersBox.querySelectorAll('button')) b.disabled = !canSteer;
    },
  };
}
