/** Small building blocks every page uses: states, messages, fields, values, paging, dialogs. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError } from '../api/client.ts';

export function Loading({ what }: { what: string }): JSX.Element {
  return (
    <p class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }): JSX.Element {
  return <div class="state empty">{children}</div>;
}

/** The API's messages, as the API words them. */
export function ErrorBox({ error, title }: { error: ApiError | undefined; title?: string }): JSX.Element | null {
  if (error === undefined) return null;
  return (
    <div class="error-box" role="alert">
      {title === undefined ? null : <strong>{title}</strong>}
      <ul>
        {error.errors.map((item, index) => (
          <li key={index}>
            {item.message}
            {item.code > 0 ? <span class="code"> (code {item.code})</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Notice({
  children,
  tone = 'info',
}: {
  children: ComponentChildren;
  tone?: 'info' | 'success' | 'warning';
}): JSX.Element {
  return (
    <div class={`notice ${tone}`} role="status">
      {children}
    </div>
  );
}

let nextId = 0;
function useId(prefix: string): string {
  const id = useRef('');
  if (id.current === '') id.current = `${prefix}-${++nextId}`;
  return id.current;
}

/** A labelled control with its hint and its error (the API's, placed next to the field). */
export function Field(props: {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}): JSX.Element {
  const id = useId('field');
  const hintId = props.hint === undefined ? undefined : `${id}-hint`;
  const errorId = props.error === undefined ? undefined : `${id}-error`;
  const describedBy = [hintId, errorId].filter((value) => value !== undefined).join(' ') || undefined;
  return (
    <div class={props.error === undefined ? 'field' : 'field invalid'}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {props.hint === undefined ? null : (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error === undefined ? null : (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A long value (fingerprint, serial, PEM) shown whole, wrapped, selectable, with a copy button. */
export function Mono({ value, copy = false }: { value: string; copy?: boolean }): JSX.Element {
  return (
    <span class="mono-value">
      <code>{value}</code>
      {copy && value !== '' ? (
        <button
          type="button"
          class="link-button"
          onClick={() => void navigator.clipboard.writeText(value)}
          aria-label="Copy to clipboard"
        >
          Copy
        </button>
      ) : null}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }): JSX.Element {
  return <span class={`badge status-${status.replaceAll('_', '-')}`}>{status.replaceAll('_', ' ')}</span>;
}

export function Pager(props: {
  page: number;
  totalPages: number;
  total: number;
  onPage: (page: number) => void;
}): JSX.Element | null {
  if (props.total === 0) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        Previous
      </button>
      <span aria-live="polite">
        Page {props.page} of {Math.max(1, props.totalPages)} · {props.total.toLocaleString('en')} in all
      </span>
      <button type="button" disabled={props.page >= props.totalPages} onClick={() => props.onPage(props.page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** A modal confirmation (the native <dialog>: focus is trapped and Escape cancels). */
export function Confirm(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}): JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (props.open && !element.open) element.showModal();
    if (!props.open && element.open) element.close();
  }, [props.open]);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger === true ? 'danger' : 'primary'}
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }): JSX.Element {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      {children === undefined ? null : <div class="page-actions">{children}</div>}
    </header>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$|Z$/, ' UTC');
}

export function daysUntil(iso: string): number {
  return Math.floor((Date.parse(iso) - Date.now()) / 86_400_000);
}
