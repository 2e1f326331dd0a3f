import { ApiError, getJson, postJson } from './api';
import { h } from './dom';

/** `GET /_inspector/auth`. */
export interface AuthState {
  signed_in: boolean;
  via?: 'bearer' | 'cookie';
  sign_in_required_to_read: boolean;
}

/**
 * Reads a sign-in credential from the address bar and removes it at once (before any request),
 * so the current history entry keeps no credential: `#code=<one-time code>` from the printed
 * link, or the `#token=` of links printed by older versions.
 */
export function takeCredentialFromHash(): { code: string } | { token: string } | undefined {
  const m = /^#(code|token)=([^&]+)/.exec(location.hash);
  if (!m) return undefined;
  history.replaceState(null, '', `${location.pathname}#/`);
  let value: string;
  try {
    value = decodeURIComponent(m[2]!);
  } catch {
    value = m[2]!;
  }
  return m[1] === 'code' ? { code: value } : { token: value };
}

/** Exchanges a code or the token for the sign-in cookie. Rejects with the server's ApiError. */
export async function signIn(credential: { code: string } | { token: string }): Promise<void> {
  await postJson('/_inspector/login', credential);
}

/** Ends this browser's sign-in (the cookie is cleared). */
export async function signOut(): Promise<void> {
  await postJson('/_inspector/logout', {});
}

/** Whether this browser is signed in. */
export function authState(): Promise<AuthState> {
  return getJson<AuthState>('/_inspector/auth');
}

/**
 * The sign-in page: why the page is here (`problem`), how to get a new link, and a form that
 * posts the pasted token in a request body (never a URL). Calls `onSignedIn` after success.
 */
export function renderSignIn(root: HTMLElement, problem: string | undefined, onSignedIn: () => void): void {
  const input = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'sign-in-form' },
    h('label', { for: 'token-input' }, 'Access token'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    message.textContent = '';
    signIn({ token }).then(
      () => {
        input.value = '';
        onSignedIn();
      },
      (err: unknown) => {
        message.textContent = err instanceof ApiError ? err.message : String(err);
        input.select();
      },
    );
  });
  root.append(
    h(
      'section',
      { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h1', { id: 'sign-in-title' }, 'Sign in to mcpscope'),
      problem ? h('p', { class: 'error', role: 'alert', id: 'sign-in-problem' }, problem) : undefined,
      h(
        'p',
        { id: 'token-help' },
        'Open the sign-in link that ',
        h('code', {}, 'mcpscope serve'),
        ' printed on stderr (each link works once; it prints a fresh one after every sign-in), or paste the ',
        h('code', {}, 'API token:'),
        ' it printed (or your MCPSCOPE_TOKEN) here. The token is sent in the request body and kept only as an HttpOnly cookie.',
      ),
      form,
      message,
    ),
  );
  input.focus();
}
