import { h } from '../dom';

/** A property the form can render as a field. */
type FieldSchema = { type?: unknown; enum?: unknown; title?: unknown; description?: unknown; minimum?: unknown; maximum?: unknown; exclusiveMinimum?: unknown; exclusiveMaximum?: unknown; minLength?: unknown; maxLength?: unknown; default?: unknown; const?: unknown };

interface Field {
  name: string;
  schema: FieldSchema;
  kind: 'boolean' | 'integer' | 'number' | 'string' | 'enum';
  required: boolean;
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
}

/** A form for a JSON Schema: `read()` validates and returns the payload, or undefined after showing what is wrong. */
export interface SchemaForm {
  element: HTMLElement;
  /** The payload when every field is valid; otherwise marks the fields and returns undefined. */
  read(): { payload: unknown } | undefined;
  /** Shows a message from the server (e.g. its 400 validation message) under the form. */
  showServerError(message: string | undefined): void;
}

/**
 * Builds a form from `schema`: an object whose properties are booleans, integers, numbers,
 * strings or enums (with `required`, `minimum`/`maximum`, `minLength`/`maxLength`) gets one
 * field each; anything else (nested objects, arrays, no schema) gets a JSON text area. Both
 * check the value before it is sent; the server validates again and its message is shown.
 */
export function schemaForm(schema: Record<string, unknown> | undefined, idPrefix: string): SchemaForm {
  const serverError = h('p', { class: 'error form-error', role: 'alert' });
  const fields = simpleFields(schema);
  if (fields === undefined) return jsonForm(schema, idPrefix, serverError);
  const built: Field[] = [];
  const element = h('div', { class: 'schema-form' });
  for (const f of fields) {
    const id = `${idPrefix}-${f.name}`;
    const error = h('span', { class: 'error field-error', id: `${id}-error` });
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.kind === 'boolean') {
      input = h('input', { type: 'checkbox', id, name: f.name, 'aria-describedby': `${id}-error` });
      input.checked = f.schema.default === true;
    } else if (f.kind === 'enum') {
      input = h('select', { id, name: f.name, 'aria-describedby': `${id}-error` });
      if (!f.required) input.append(h('option', { value: '' }, '—'));
      for (const [i, v] of (f.schema.enum as unknown[]).entries()) input.append(h('option', { value: String(i), selected: f.schema.default === v }, String(v)));
    } else {
      const numeric = f.kind === 'integer' || f.kind === 'number';
      input = h('input', {
        type: numeric ? 'number' : 'text',
        id,
        name: f.name,
        'aria-describedby': `${id}-error`,
        step: f.kind === 'integer' ? '1' : numeric ? 'any' : undefined,
        min: typeof f.schema.minimum === 'number' ? f.schema.minimum : undefined,
        max: typeof f.schema.maximum === 'number' ? f.schema.maximum : undefined,
        value: f.schema.default !== undefined && typeof f.schema.default !== 'object' ? String(f.schema.default) : undefined,
      });
    }
    const label = typeof f.schema.title === 'string' ? f.schema.title : f.name;
    const hint = typeof f.schema.description === 'string' ? f.schema.description : rangeHint(f.schema);
    element.append(
      h(
        'div',
        { class: `field field-${f.kind}` },
        h('label', { for: id }, label, f.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : undefined),
        input,
        hint ? h('span', { class: 'muted small' }, hint) : undefined,
        error,
      ),
    );
    built.push({ ...f, input, error });
  }
  element.append(serverError);
  return {
    element,
    read() {
      const payload: Record<string, unknown> = {};
      let ok = true;
      for (const f of built) {
        const result = readField(f);
        f.error.textContent = result.error ?? '';
        f.input.setAttribute('aria-invalid', result.error ? 'true' : 'false');
        if (result.error) ok = false;
        else if (result.value !== undefined) payload[f.name] = result.value;
      }
      if (!ok) built.find((f) => f.error.textContent)?.input.focus();
      return ok ? { payload } : undefined;
    },
    showServerError(message) {
      serverError.textContent = message ?? '';
    },
  };
}

function simpleFields(schema: Record<string, unknown> | undefined): Omit<Field, 'input' | 'error'>[] | undefined {
  if (!schema || schema.type !== 'object' || typeof schema.properties !== 'object' || schema.properties === null) return undefined;
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  const out: Omit<Field, 'input' | 'error'>[] = [];
  for (const [name, raw] of Object.entries(schema.properties as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) return undefined;
    const s = raw as FieldSchema;
    let kind: Field['kind'];
    if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => v === null || typeof v !== 'object')) kind = 'enum';
    else if (s.type === 'boolean' || s.type === 'integer' || s.type === 'number' || s.type === 'string') kind = s.type;
    else return undefined;
    out.push({ name, schema: s, kind, required: required.has(name) });
  }
  return out.length > 0 ? out : undefined;
}

function readField(f: Field): { value?: unknown; error?: string } {
  const s = f.schema;
  if (f.kind === 'boolean') return { value: (f.input as HTMLInputElement).checked };
  const raw = f.input.value;
  if (raw.trim() === '' && f.kind !== 'string') return f.required ? { error: 'required' } : {};
  if (f.kind === 'enum') return { value: (s.enum as unknown[])[Number(raw)] };
  if (f.kind === 'string') {
    if (raw === '' && f.required) return { error: 'required' };
    if (raw === '' && !f.required) return {};
    if (typeof s.minLength === 'number' && raw.length < s.minLength) return { error: `at least ${s.minLength} characters` };
    if (typeof s.maxLength === 'number' && raw.length > s.maxLength) return { error: `at most ${s.maxLength} characters` };
    return { value: raw };
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) return { error: 'a number is needed' };
  if (f.kind === 'integer' && !Number.isInteger(n)) return { error: 'a whole number is needed' };
  if (typeof s.minimum === 'number' && n < s.minimum) return { error: `must be >= ${s.minimum}` };
  if (typeof s.maximum === 'number' && n > s.maximum) return { error: `must be <= ${s.maximum}` };
  if (typeof s.exclusiveMinimum === 'number' && n <= s.exclusiveMinimum) return { error: `must be > ${s.exclusiveMinimum}` };
  if (typeof s.exclusiveMaximum === 'number' && n >= s.exclusiveMaximum) return { error: `must be < ${s.exclusiveMaximum}` };
  return { value: n };
}

function rangeHint(s: FieldSchema): string | undefined {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return undefined;
}

function jsonForm(schema: Record<string, unknown> | undefined, idPrefix: string, serverError: HTMLElement): SchemaForm {
  const id = `${idPrefix}-json`;
  const error = h('span', { class: 'error field-error', id: `${id}-error` });
  const area = h('textarea', { id, rows: 6, spellcheck: 'false', class: 'mono', 'aria-describedby': `${id}-error` });
  area.value = schema?.type === 'object' || schema === undefined ? '{}' : '';
  const element = h(
    'div',
    { class: 'schema-form' },
    h('label', { for: id }, 'Payload (JSON)'),
    area,
    schema ? h('details', { class: 'small' }, h('summary', {}, 'Expected schema'), h('pre', {}, JSON.stringify(schema, null, 2))) : undefined,
    error,
    serverError,
  );
  return {
    element,
    read() {
      const text = area.value.trim();
      if (text === '') {
        error.textContent = 'enter a JSON value';
        area.focus();
        return undefined;
      }
      try {
        const payload = JSON.parse(text) as unknown;
        error.textContent = '';
        return { payload };
      } catch (err) {
        error.textContent = `not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
        area.focus();
        return undefined;
      }
    },
    showServerError(message) {
      serverError.textContent = message ?? '';
    },
  };
}
