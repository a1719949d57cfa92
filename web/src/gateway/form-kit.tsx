/**
 * What the API, key and policy forms share: the API's error placed at its field (by the dotted path
 * its message names), optional rate limit and quota inputs, and the create/edit/delete frame.
 */
import type { JSX } from 'preact';
import type { QuotaWire, RateLimitWire } from '../../../src/admin-api/wire-types.ts';
import type { ApiError } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { Field } from '../components/ui.tsx';

/** The API's message for a field (`rate_limit` also takes `rate_limit.rate`), or undefined. */
export function errorAt(error: ApiError | undefined, ...names: string[]): string | undefined {
  if (error === undefined) return undefined;
  const problem = fieldOfError(error.errors[0]?.message ?? '');
  if (problem.field === '') return undefined;
  return names.some((name) => problem.field === name || problem.field.startsWith(`${name}.`))
    ? problem.message
    : undefined;
}

/** Whether the error names one of the form's fields (else the form shows it above, whole). */
export function placed(error: ApiError | undefined, names: readonly string[]): boolean {
  return errorAt(error, ...names) !== undefined;
}

export function TextField(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  numeric?: boolean;
}): JSX.Element {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(id, describedBy) => (
        <input
          id={id}
          inputMode={props.numeric === true ? 'numeric' : undefined}
          aria-describedby={describedBy}
          aria-invalid={props.error === undefined ? undefined : true}
          value={props.value}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** Two whole numbers as text (the API checks them and says what is wrong). */
export interface PairText {
  a: string;
  b: string;
}

export const NO_PAIR: PairText = { a: '', b: '' };

export function pairOfRateLimit(limit: RateLimitWire | null): PairText {
  return limit === null ? NO_PAIR : { a: String(limit.rate), b: String(limit.per) };
}

export function pairOfQuota(quota: QuotaWire | null): PairText {
  return quota === null ? NO_PAIR : { a: String(quota.max), b: String(quota.renewal_rate) };
}

/** Both empty: null (no limit); otherwise numbers as typed (NaN goes to the API, which refuses it). */
export function rateLimitOf(pair: PairText): RateLimitWire | null {
  if (pair.a.trim() === '' && pair.b.trim() === '') return null;
  return { rate: Number(pair.a), per: Number(pair.b) };
}

export function quotaOf(pair: PairText): QuotaWire | null {
  if (pair.a.trim() === '' && pair.b.trim() === '') return null;
  return { max: Number(pair.a), renewal_rate: Number(pair.b) };
}

export function RateLimitFields(props: {
  value: PairText;
  onChange: (value: PairText) => void;
  error: ApiError | undefined;
}): JSX.Element {
  return (
    <fieldset>
      <legend>Rate limit (empty: none)</legend>
      <div class="form-row">
        <TextField
          label="Requests"
          numeric
          value={props.value.a}
          onInput={(a) => props.onChange({ ...props.value, a })}
          error={errorAt(props.error, 'rate_limit.rate')}
        />
        <TextField
          label="Per seconds"
          numeric
          value={props.value.b}
          onInput={(b) => props.onChange({ ...props.value, b })}
          error={errorAt(props.error, 'rate_limit.per', 'rate_limit')}
        />
      </div>
    </fieldset>
  );
}

export function QuotaFields(props: {
  value: PairText;
  onChange: (value: PairText) => void;
  error: ApiError | undefined;
}): JSX.Element {
  return (
    <fieldset>
      <legend>Quota (empty: none)</legend>
      <div class="form-row">
        <TextField
          label="Requests per period"
          numeric
          value={props.value.a}
          onInput={(a) => props.onChange({ ...props.value, a })}
          error={errorAt(props.error, 'quota.max')}
        />
        <TextField
          label="Period in seconds"
          numeric
          value={props.value.b}
          onInput={(b) => props.onChange({ ...props.value, b })}
          error={errorAt(props.error, 'quota.renewal_rate', 'quota')}
        />
      </div>
    </fieldset>
  );
}

export function describeRateLimit(limit: RateLimitWire | null): string {
  return limit === null ? 'none' : `${limit.rate.toLocaleString('en')} per ${limit.per} s`;
}

export function describeQuota(quota: QuotaWire | null): string {
  return quota === null ? 'none' : `${quota.max.toLocaleString('en')} per ${quota.renewal_rate} s`;
}

/** A meter of a quota's use: `remaining` of `max` left. */
export function QuotaUsage({ quota, remaining }: { quota: QuotaWire | null; remaining: number | null }): JSX.Element {
  if (quota === null) return <span class="muted">no quota</span>;
  if (remaining === null) return <span class="muted">usage unknown</span>;
  const used = Math.max(0, quota.max - remaining);
  return (
    <span class="stack-tight">
      <meter
        class="usage-meter"
        min={0}
        max={quota.max}
        value={used}
        high={quota.max * 0.8}
        aria-label={`Quota used: ${used} of ${quota.max}`}
      />
      <span class="small">
        {used.toLocaleString('en')} of {quota.max.toLocaleString('en')} used
      </span>
    </span>
  );
}
