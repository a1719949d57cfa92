/**
 * The hostnames of one zone: certificate, trusting CAs (editable), enforcement, and the "Require
 * client certificates" action (API Shield's mTLS rule), plus adding a hostname with its route.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ZoneWire } from '../../../src/admin-api/wire-types.ts';
import { post, put, type ApiError } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Empty, ErrorBox, Field, Loading, Notice, formatDate } from '../components/ui.tsx';
import { link } from '../router.ts';
import { canEdit } from '../session.ts';
import { mtlsRuleOf, stringLiterals, type HostnameRow } from './hostname-inventory.ts';
import { loadZoneHostnames, type ZoneHostnames } from './load-hostnames.ts';
import '../pages.css';

export function HostnamesCard({ zone }: { zone: ZoneWire }): JSX.Element {
  const [loaded, reload] = useLoad(() => loadZoneHostnames(zone), [zone.id]);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [action, setAction] = useState<'block' | 'log'>('block');
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const data = loaded.value;
  const toggle = (hostname: string): void => {
    const next = new Set(chosen);
    if (next.has(hostname)) next.delete(hostname);
    else next.add(hostname);
    setChosen(next);
  };
  const requireCertificates = async (): Promise<void> => {
    if (data === undefined) return;
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    // The rule is one per zone: keep what it covers, add the chosen hostnames.
    const rule = mtlsRuleOf(data.rules);
    const hostnames = [...new Set([...(rule === undefined ? [] : stringLiterals(rule.expression)), ...chosen])];
    try {
      await post(`/zones/${zone.id}/gateway/mtls_rule`, { hostnames, action });
      setNotice(`Client certificates are now required on ${[...chosen].join(', ')} (${action}).`);
      setChosen(new Set());
      reload();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>Hostnames of {zone.name}</h2>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ErrorBox error={error} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="hostnames" />
        ) : null
      ) : data.rows.length === 0 ? (
        <Empty>No hostname in {zone.name} yet: add one below (a hostname and the upstream it routes to).</Empty>
      ) : (
        <>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Hostnames">
            <table aria-busy={loaded.state === 'loading'}>
              <caption>Hostnames, the certificate the gateway presents, the CAs clients may chain to</caption>
              <thead>
                <tr>
                  {canEdit.value ? (
                    <th scope="col">
                      <span class="muted">Choose</span>
                    </th>
                  ) : null}
                  <th scope="col">Hostname</th>
                  <th scope="col">Edge certificate</th>
                  <th scope="col">Trusted client CAs</th>
                  <th scope="col">Client certificates</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((row) => (
                  <HostnameTableRow
                    key={row.hostname}
                    row={row}
                    data={data}
                    zone={zone}
                    chosen={chosen.has(row.hostname)}
                    onToggle={() => toggle(row.hostname)}
                    editing={editing === row.hostname}
                    onEdit={(open) => setEditing(open ? row.hostname : undefined)}
                    onSaved={() => {
                      setEditing(undefined);
                      setNotice(`Saved the CAs trusted on ${row.hostname}.`);
                      reload();
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {canEdit.value ? (
            <div class="inline-actions require-actions">
              <Field label="Action of the rule">
                {(id) => (
                  <select
                    id={id}
                    value={action}
                    onChange={(event) => setAction(event.currentTarget.value === 'log' ? 'log' : 'block')}
                  >
                    <option value="block">Block requests without a valid certificate</option>
                    <option value="log">Log only</option>
                  </select>
                )}
              </Field>
              <button
                type="button"
                class="primary"
                disabled={busy || chosen.size === 0}
                onClick={() => void requireCertificates()}
              >
                Require client certificates
              </button>
              <span class="muted">
                {chosen.size === 0 ? 'Choose hostnames first.' : `${chosen.size} hostname(s) chosen.`}
              </span>
            </div>
          ) : null}
        </>
      )}
      {canEdit.value ? (
        <AddHostname
          zone={zone}
          onAdded={(hostname) => {
            setNotice(`Added ${hostname}.`);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

function HostnameTableRow(props: {
  row: HostnameRow;
  data: ZoneHostnames;
  zone: ZoneWire;
  chosen: boolean;
  onToggle: () => void;
  editing: boolean;
  onEdit: (open: boolean) => void;
  onSaved: () => void;
}): JSX.Element {
  const { row } = props;
  const edge = row.edgeCertificate;
  const columns = canEdit.value ? 5 : 4;
  return (
    <>
      <tr>
        {canEdit.value ? (
          <td>
            <input
              type="checkbox"
              checked={props.chosen}
              onChange={props.onToggle}
              aria-label={`Choose ${row.hostname}`}
            />
          </td>
        ) : null}
        <th scope="row">
          <span class="hostname">{row.hostname}</span>
          <span class="muted small"> {row.usedBy.join(', ')}</span>
        </th>
        <td>
          {edge === undefined ? (
            <span class="muted">The gateway's own (issued by its edge CA)</span>
          ) : (
            <span>
              Uploaded · expires {formatDate(edge.expires_on)}
              <span class="muted small truncate" title={edge.issuer}>
                {' '}
                {edge.issuer}
              </span>
            </span>
          )}
        </td>
        <td>
          <div class="inline-actions">
            <span>
              {row.cas.length === 0 ? <span class="muted">none</span> : row.cas.map((ca) => ca.name).join(', ')}
            </span>
            {canEdit.value ? (
              <button
                type="button"
                class="link-button"
                aria-expanded={props.editing}
                aria-label={`Change the CAs trusted on ${row.hostname}`}
                onClick={() => props.onEdit(!props.editing)}
              >
                Change
              </button>
            ) : null}
          </div>
        </td>
        <td>
          <Enforcement row={row} />
        </td>
      </tr>
      {props.editing ? (
        <tr>
          <td colSpan={columns}>
            <TrustEditor
              hostname={row.hostname}
              data={props.data}
              zone={props.zone}
              onSaved={props.onSaved}
              onCancel={() => props.onEdit(false)}
            />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Enforcement({ row }: { row: HostnameRow }): JSX.Element {
  const { mtlsRule, otherRules } = row.enforcement;
  return (
    <span class="stack-tight">
      {mtlsRule === 'block' ? (
        <span class="badge status-ok">Required (blocks)</span>
      ) : mtlsRule === 'log' ? (
        <span class="badge status-expiring">Logged only</span>
      ) : mtlsRule === 'disabled' ? (
        <span class="badge status-revoked">mTLS rule disabled</span>
      ) : (
        <span class="muted">Not required</span>
      )}
      {otherRules.length === 0 ? null : (
        <a href={link('rules')} class="small">
          Also checked by: {otherRules.join(', ')}
        </a>
      )}
    </span>
  );
}

/** Which CAs this hostname trusts: each changed CA's association list is written whole (PUT). */
function TrustEditor(props: {
  hostname: string;
  data: ZoneHostnames;
  zone: ZoneWire;
  onSaved: () => void;
  onCancel: () => void;
}): JSX.Element {
  const keyOf = (id: string | undefined): string => id ?? '';
  const trusting = (id: string | undefined): boolean =>
    (props.data.associations.get(keyOf(id)) ?? []).some((name) => name.toLowerCase() === props.hostname);
  const [checked, setChecked] = useState<ReadonlySet<string>>(
    new Set(props.data.cas.filter((ca) => trusting(ca.id)).map((ca) => keyOf(ca.id))),
  );
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      for (const ca of props.data.cas) {
        const key = keyOf(ca.id);
        const want = checked.has(key);
        if (want === trusting(ca.id)) continue;
        const others = (props.data.associations.get(key) ?? []).filter((name) => name.toLowerCase() !== props.hostname);
        await put(`/zones/${props.zone.id}/certificate_authorities/hostname_associations`, {
          hostnames: want ? [...others, props.hostname] : others,
          ...(ca.id === undefined ? {} : { mtls_certificate_id: ca.id }),
        });
      }
      props.onSaved();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack trust-editor" onSubmit={(event) => void save(event)}>
      <fieldset>
        <legend>CAs whose client certificates {props.hostname} accepts</legend>
        {props.data.cas.map((ca) => (
          <label key={keyOf(ca.id)} class="check-row">
            <input
              type="checkbox"
              checked={checked.has(keyOf(ca.id))}
              onChange={() => {
                const next = new Set(checked);
                if (next.has(keyOf(ca.id))) next.delete(keyOf(ca.id));
                else next.add(keyOf(ca.id));
                setChecked(next);
              }}
            />
            {ca.name}
          </label>
        ))}
        {props.data.cas.length === 1 ? (
          <p class="hint">
            Upload your own CA on <a href={link('authorities')}>Certificate authorities</a>.
          </p>
        ) : null}
      </fieldset>
      <ErrorBox error={error} />
      <div class="inline-actions">
        <button type="submit" class="primary" disabled={busy}>
          Save CAs
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A hostname exists through what uses it: here, a route to its upstream. */
function AddHostname({ zone, onAdded }: { zone: ZoneWire; onAdded: (hostname: string) => void }): JSX.Element {
  const [hostname, setHostname] = useState('');
  const [upstream, setUpstream] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const problem = error === undefined ? undefined : fieldOfError(error.errors[0]?.message ?? '');
  const onField = problem?.field === 'hostname' || problem?.field === 'upstream';
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post(`/zones/${zone.id}/gateway/routes`, { hostname: hostname.trim(), upstream: upstream.trim() });
      onAdded(hostname.trim());
      setHostname('');
      setUpstream('');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack add-hostname" onSubmit={(event) => void submit(event)} noValidate>
      <h3>Add a hostname</h3>
      {error !== undefined && !onField ? <ErrorBox error={error} /> : null}
      <div class="form-row">
        <Field
          label="Hostname"
          hint={`${zone.name}, a name under it, or *.${zone.name}`}
          error={problem?.field === 'hostname' ? problem.message : undefined}
        >
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={hostname}
              onInput={(event) => setHostname(event.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          label="Upstream URL"
          hint="Where its requests go, e.g. http://10.0.0.5:8080"
          error={problem?.field === 'upstream' ? problem.message : undefined}
        >
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={upstream}
              onInput={(event) => setUpstream(event.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || hostname.trim() === '' || upstream.trim() === ''}>
          Add hostname
        </button>
      </div>
    </form>
  );
}
