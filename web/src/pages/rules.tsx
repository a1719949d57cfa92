/**
 * The zone's custom rules (the http_request_firewall_custom entry point), in the order they run:
 * each with its action (block or log), enabled or not, its hit count (GET …/gateway/rule_hits) and
 * its expression, edited in place; the server checks every expression, and its message (with the
 * line and column) is shown at the field.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { RuleHitWire, RuleWire, RulesetWire } from '../../../src/admin-api/wire-types.ts';
import { del, list, patch, post, put, type ApiError, type Page } from '../api/client.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Confirm, Empty, ErrorBox, Field, Loading, Notice, PageHeader, formatDate } from '../components/ui.tsx';
import { canEdit, zone } from '../session.ts';
import { MTLS_RULE_REF } from '../zones/hostname-inventory.ts';
import { CUSTOM_RULES_ENTRYPOINT, loadCustomRules } from '../zones/load-hostnames.ts';
import { ruleFieldOfError } from '../rules/rule-field-errors.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

interface RulesView {
  ruleset: RulesetWire | undefined;
  rules: RuleWire[];
  hits: Page<RuleHitWire>;
}

async function loadRules(zoneId: string): Promise<RulesView> {
  const [{ ruleset, rules }, hits] = await Promise.all([
    loadCustomRules(zoneId),
    list<RuleHitWire>(`/zones/${zoneId}/gateway/rule_hits`),
  ]);
  return { ruleset, rules, hits };
}

export function RulesPage(): JSX.Element {
  const current = zone.value;
  const [loaded, reload] = useLoad(
    () => (current === undefined ? Promise.resolve(undefined) : loadRules(current.id)),
    [current?.id],
  );
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const [deleting, setDeleting] = useState<RuleWire | undefined>(undefined);
  if (current === undefined) return <NoZone />;
  const data = loaded.value;
  const hitsOf = new Map((data?.hits.items ?? []).map((hit) => [hit.rule_id, hit]));
  const base = data?.ruleset === undefined ? undefined : `/zones/${current.id}/rulesets/${data.ruleset.id}/rules`;
  const change = async (rule: RuleWire, body: object, done: string): Promise<void> => {
    if (base === undefined) return;
    setActionError(undefined);
    try {
      await patch(`${base}/${rule.id}`, body);
      setNotice(done);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    }
  };
  const remove = async (): Promise<void> => {
    if (base === undefined || deleting === undefined) return;
    setActionError(undefined);
    try {
      await del(`${base}/${deleting.id}`);
      setNotice(`Deleted the rule ${deleting.description || deleting.id}.`);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    } finally {
      setDeleting(undefined);
    }
  };
  return (
    <section>
      <PageHeader title="Rules">
        <button type="button" onClick={reload}>
          Refresh hit counts
        </button>
      </PageHeader>
      <p class="muted">
        Custom rules of {current.name}, in the order the gateway runs them. The first matching rule that blocks ends the
        request; a rule that logs only counts.
      </p>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ErrorBox error={actionError} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {data?.hits.messages.map((message) => (
        <Notice key={message.code} tone="warning">
          {message.message}
        </Notice>
      ))}
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="rules" />
        ) : null
      ) : data.rules.length === 0 ? (
        <Empty>No custom rule in {current.name} yet.</Empty>
      ) : (
        <ol class="rule-list" aria-busy={loaded.state === 'loading'}>
          {data.rules.map((rule, index) => (
            <RuleItem
              key={rule.id}
              rule={rule}
              order={index + 1}
              hits={hitsOf.get(rule.id)}
              zoneId={current.id}
              base={base ?? ''}
              onToggle={() =>
                void change(
                  rule,
                  { enabled: !rule.enabled },
                  `${rule.enabled ? 'Disabled' : 'Enabled'} ${rule.description || rule.id}.`,
                )
              }
              onSaved={(text) => {
                setNotice(text);
                reload();
              }}
              onDelete={() => setDeleting(rule)}
            />
          ))}
        </ol>
      )}
      {canEdit.value && data !== undefined ? (
        <RuleForm
          title="Add a rule"
          submitLabel="Add rule"
          initial={undefined}
          save={async (body) => {
            if (data.ruleset === undefined) await put(CUSTOM_RULES_ENTRYPOINT(current.id), { rules: [body] });
            else await post(`/zones/${current.id}/rulesets/${data.ruleset.id}/rules`, body);
          }}
          onSaved={(text) => {
            setNotice(text);
            reload();
          }}
        />
      ) : null}
      <Confirm
        open={deleting !== undefined}
        title="Delete this rule?"
        confirmLabel="Delete"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          <strong>{deleting?.description || deleting?.id}</strong> stops applying to requests at once.
        </p>
      </Confirm>
    </section>
  );
}

function RuleItem(props: {
  rule: RuleWire;
  order: number;
  hits: RuleHitWire | undefined;
  zoneId: string;
  base: string;
  onToggle: () => void;
  onSaved: (notice: string) => void;
  onDelete: () => void;
}): JSX.Element {
  const { rule } = props;
  const [editing, setEditing] = useState(false);
  const name = rule.description || rule.id;
  return (
    <li class={rule.enabled ? 'rule-item' : 'rule-item disabled'} aria-label={`Rule ${props.order}: ${name}`}>
      <div class="rule-head">
        <div class="rule-title">
          <span class="rule-order">#{props.order}</span>
          <strong>{name}</strong>
          <span class={`badge status-${rule.action}`}>{rule.action}</span>
          {rule.enabled ? null : <span class="badge">disabled</span>}
          {rule.ref === MTLS_RULE_REF ? (
            <span class="muted small">(written by Require client certificates)</span>
          ) : null}
        </div>
        <div class="inline-actions">
          <span class="hits" aria-label={`Hits of ${name}`}>
            {(props.hits?.hits ?? 0).toLocaleString('en')} hits
          </span>
          <span class="muted small">last {formatDate(props.hits?.last_hit_at)}</span>
        </div>
      </div>
      {editing ? (
        <RuleForm
          title={`Edit ${name}`}
          submitLabel="Save rule"
          initial={rule}
          save={async (body) => {
            await patch(`${props.base}/${rule.id}`, body);
          }}
          onSaved={(text) => {
            setEditing(false);
            props.onSaved(text);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          <pre class="rule-expression">{rule.expression}</pre>
          {canEdit.value ? (
            <div class="inline-actions">
              <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${name}`}>
                Edit
              </button>
              <button
                type="button"
                onClick={props.onToggle}
                aria-label={`${rule.enabled ? 'Disable' : 'Enable'} ${name}`}
              >
                {rule.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" class="danger" onClick={props.onDelete} aria-label={`Delete ${name}`}>
                Delete
              </button>
            </div>
          ) : null}
        </>
      )}
    </li>
  );
}

interface RuleBody {
  description: string;
  expression: string;
  action: 'block' | 'log';
  enabled: boolean;
}

function RuleForm(props: {
  title: string;
  submitLabel: string;
  initial: RuleWire | undefined;
  save: (body: RuleBody) => Promise<void>;
  onSaved: (notice: string) => void;
  onCancel?: () => void;
}): JSX.Element {
  const [description, setDescription] = useState(props.initial?.description ?? '');
  const [expression, setExpression] = useState(props.initial?.expression ?? '');
  const [action, setAction] = useState<'block' | 'log'>(props.initial?.action === 'log' ? 'log' : 'block');
  const [enabled, setEnabled] = useState(props.initial?.enabled ?? true);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const message = error?.errors[0]?.message ?? '';
  const field = error === undefined ? '' : ruleFieldOfError(message);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.save({ description, expression, action, enabled });
      props.onSaved(`Saved the rule ${description || '(no description)'}.`);
      if (props.initial === undefined) {
        setDescription('');
        setExpression('');
      }
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class={props.initial === undefined ? 'card stack' : 'stack'}
      onSubmit={(event) => void submit(event)}
      noValidate
    >
      {props.initial === undefined ? <h2>{props.title}</h2> : null}
      {error !== undefined && field === '' ? <ErrorBox error={error} /> : null}
      <Field label="Description" error={field === 'description' ? message : undefined}>
        {(id, describedBy) => (
          <input
            id={id}
            maxLength={500}
            aria-describedby={describedBy}
            value={description}
            onInput={(event) => setDescription(event.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="Expression"
        hint='Rules language, e.g. http.request.uri.path contains "/admin" and not cf.tls_client_auth.cert_verified'
        error={field === 'expression' ? message : undefined}
      >
        {(id, describedBy) => (
          <textarea
            id={id}
            class="expression"
            spellcheck={false}
            aria-describedby={describedBy}
            value={expression}
            onInput={(event) => setExpression(event.currentTarget.value)}
          />
        )}
      </Field>
      <div class="form-row">
        <Field label="Action" error={field === 'action' ? message : undefined}>
          {(id, describedBy) => (
            <select
              id={id}
              aria-describedby={describedBy}
              value={action}
              onChange={(event) => setAction(event.currentTarget.value === 'log' ? 'log' : 'block')}
            >
              <option value="block">Block (403)</option>
              <option value="log">Log only</option>
            </select>
          )}
        </Field>
        <label class="check-row">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />
          Enabled
        </label>
      </div>
      <div class="actions">
        {props.onCancel === undefined ? null : (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
