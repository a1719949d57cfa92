/**
 * `portcullis est profile|secret|approvals|approve|reject`: EST enrollment (docs/adr/0016) through the
 * admin API. A profile's settings come from `--file` (the API's JSON form) and the flags, which win;
 * `profile update` starts from the current settings, since the API's PUT replaces all of them. A
 * bootstrap secret is printed once: the API stores only its hash.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { readInputFile, runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatDetails, formatListing, printResult, when } from '../output.ts';
import { collect } from './policy.ts';

interface ProfileView {
  id: string;
  label: string;
  hostnames: string[];
  validity_days: number;
  key_types: string[];
  subject: Record<string, string>;
  common_name_pattern: string;
  dns_name_templates: string[];
  key_policy_ids: string[] | null;
  tags: string[];
  bootstrap_secrets: boolean;
  bootstrap_ca_ids: string[];
  manual_approval: boolean;
  renewal_grace_seconds: number;
  renew_before_days: number;
  created_on: string;
  modified_on: string;
}

interface SecretView {
  id: string;
  profile_id: string;
  name: string;
  max_uses: number;
  uses: number;
  expires_on: string;
  created_on: string;
  /** Only in the answer to create. */
  secret?: string;
}

interface ApprovalView {
  id: string;
  profile_id: string;
  status: string;
  requester: string;
  public_key_sha256: string;
  client_certificate_id: string | null;
  created_on: string;
  decided_on: string | null;
}

interface Options extends AdminCommandOptions {
  zone: string;
}

interface ProfileOptions extends Options {
  file?: string;
  label?: string;
  hostname: string[];
  keyType: string[];
  tag: string[];
  keyPolicy: string[];
  validityDays?: number;
  renewBeforeDays?: number;
  graceSeconds?: number;
  manualApproval?: boolean;
}

interface SecretOptions extends Options {
  profile: string;
  name?: string;
  maxUses?: number;
  expiresIn?: number;
}

/** Fields of the profile's wire form the API computes: not sent back on update. */
const COMPUTED = ['id', 'created_on', 'modified_on'];

function wholeNumber(flag: string) {
  return (text: string): number => {
    if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError(`${flag} takes a whole number`);
    return Number(text);
  };
}

function withProfileOptions(command: Command): Command {
  return command
    .option('--file <json>', "the profile as the API's JSON (see the README); flags given override its fields")
    .option('--label <label>', 'the /.well-known/est/<label>/ of the profile (create only)')
    .option('--hostname <name>', 'a hostname of the zone devices enroll at (repeat; replaces the list)', collect, [])
    .option('--key-type <type>', 'P-256, P-384, RSA or Ed25519 (repeat; replaces the list)', collect, [])
    .option('--tag <tag>', 'a tag every certificate of the profile carries (repeat; replaces the list)', collect, [])
    .option('--key-policy <policy-id>', "a policy of the device's key (repeat; replaces the list)", collect, [])
    .addOption(
      new Option('--validity-days <n>', 'validity of issued certificates').argParser(wholeNumber('--validity-days')),
    )
    .addOption(
      new Option('--renew-before-days <n>', 'devices should renew this many days before expiry').argParser(
        wholeNumber('--renew-before-days'),
      ),
    )
    .addOption(
      new Option('--grace-seconds <n>', 'how long a renewed certificate keeps working').argParser(
        wholeNumber('--grace-seconds'),
      ),
    )
    .option('--manual-approval', 'an operator approves each new device')
    .option('--no-manual-approval', 'devices are issued without approval');
}

/** The body of create/update: `base`, then the file, then the flags given. */
async function profileBody(options: ProfileOptions, base: Record<string, unknown>): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = Object.fromEntries(
    Object.entries(base).filter(([field]) => !COMPUTED.includes(field)),
  );
  if (options.file !== undefined) {
    const text = await readInputFile(options.file, '--file');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw GW_ERR_USAGE.create(`--file: ${options.file} is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw GW_ERR_USAGE.create(`--file: ${options.file} must hold one JSON object`);
    }
    Object.assign(body, parsed);
  }
  const lists = [
    ['hostnames', options.hostname],
    ['key_types', options.keyType],
    ['tags', options.tag],
    ['key_policy_ids', options.keyPolicy],
  ] as const;
  for (const [field, values] of lists) if (values.length > 0) body[field] = values;
  const scalars = [
    ['label', options.label],
    ['validity_days', options.validityDays],
    ['renew_before_days', options.renewBeforeDays],
    ['renewal_grace_seconds', options.graceSeconds],
    ['manual_approval', options.manualApproval],
  ] as const;
  for (const [field, value] of scalars) if (value !== undefined) body[field] = value;
  return body;
}

export function registerEstCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const est = program.command('est').description('manage EST enrollment: profiles, bootstrap secrets, approvals');
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const inZone = (command: Command): Command =>
    withAdminCommandOptions(command.requiredOption('--zone <id>', 'zone of the profile'));

  const profile = est.command('profile').description("a zone's enrollment profiles");
  const profileRoute = (zone: string, id?: string): string =>
    `/zones/${segment(zone)}/est/profiles${id === undefined ? '' : `/${segment(id)}`}`;

  inZone(withProfileOptions(profile.command('create').description('create an enrollment profile'))).action(
    (options: ProfileOptions) => {
      run(async () => {
        const body = await profileBody(options, {});
        const client = await connect(options);
        const created = await client.send<ProfileView>('POST', profileRoute(options.zone), body);
        printResult(options, created, () => `Created enrollment profile ${created.id}\n${describeProfile(created)}`);
      });
    },
  );

  inZone(profile.command('list').description("list a zone's enrollment profiles")).action((options: Options) => {
    run(async () => {
      const client = await connect(options);
      const profiles = await client.get<ProfileView[]>(profileRoute(options.zone));
      printResult(options, profiles, () =>
        formatListing(
          profiles,
          [
            { header: 'ID', value: (p) => p.id },
            { header: 'LABEL', value: (p) => (p.label === '' ? '-' : p.label) },
            { header: 'DAYS', value: (p) => String(p.validity_days) },
            { header: 'APPROVAL', value: (p) => (p.manual_approval ? 'manual' : 'none') },
            { header: 'HOSTNAMES', value: (p) => p.hostnames.join(',') },
          ],
          `${count(profiles.length, 'enrollment profile')} in zone ${options.zone}`,
        ),
      );
    });
  });

  inZone(profile.command('get').description('show an enrollment profile').argument('<profile-id>')).action(
    (id: string, options: Options) => {
      run(async () => {
        const client = await connect(options);
        const shown = await client.get<ProfileView>(profileRoute(options.zone, id));
        printResult(options, shown, () => describeProfile(shown));
      });
    },
  );

  inZone(
    withProfileOptions(
      profile
        .command('update')
        .description('change an enrollment profile (settings not given stay as they are)')
        .argument('<profile-id>'),
    ),
  ).action((id: string, options: ProfileOptions) => {
    run(async () => {
      const client = await connect(options);
      const current = await client.get<ProfileView>(profileRoute(options.zone, id));
      const updated = await client.send<ProfileView>(
        'PUT',
        profileRoute(options.zone, id),
        await profileBody(options, current as unknown as Record<string, unknown>),
      );
      printResult(options, updated, () => `Updated enrollment profile ${updated.id}\n${describeProfile(updated)}`);
    });
  });

  inZone(
    profile
      .command('delete')
      .description('delete a profile, its secrets and approvals (certificates it issued stay)')
      .argument('<profile-id>'),
  ).action((id: string, options: Options) => {
    run(async () => {
      const client = await connect(options);
      const deleted = await client.send<ProfileView>('DELETE', profileRoute(options.zone, id));
      printResult(options, deleted, () => `Deleted enrollment profile ${deleted.id}`);
    });
  });

  const secret = est.command('secret').description("a profile's bootstrap secrets (HTTP Basic for simpleenroll)");
  const secretRoute = (options: SecretOptions, id?: string): string =>
    `${profileRoute(options.zone, options.profile)}/bootstrap_secrets${id === undefined ? '' : `/${segment(id)}`}`;
  const inProfile = (command: Command): Command => inZone(command.requiredOption('--profile <id>', 'the profile'));

  inProfile(
    secret
      .command('create')
      .description('make a bootstrap secret; it is printed once and only its hash is stored')
      .option('--name <text>', 'a name for people (e.g. the device or batch)')
      .addOption(new Option('--max-uses <n>', 'devices it may enroll (default 1)').argParser(wholeNumber('--max-uses')))
      .addOption(
        new Option('--expires-in <seconds>', 'lifetime in seconds (default 7 days)').argParser(
          wholeNumber('--expires-in'),
        ),
      ),
  ).action((options: SecretOptions) => {
    run(async () => {
      const client = await connect(options);
      const created = await client.send<SecretView>('POST', secretRoute(options), {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.maxUses === undefined ? {} : { max_uses: options.maxUses }),
        ...(options.expiresIn === undefined ? {} : { expires_in_seconds: options.expiresIn }),
      });
      printResult(options, created, () =>
        [
          `Created bootstrap secret ${created.id} (${count(created.max_uses, 'use')}, expires ${created.expires_on})`,
          `  user:    ${created.id}`,
          `  secret:  ${created.secret ?? ''}`,
          'The secret is shown only now: give it to the device (curl --user "<user>:<secret>").',
        ].join('\n'),
      );
    });
  });

  inProfile(secret.command('list').description("list a profile's bootstrap secrets (never the secrets)")).action(
    (options: SecretOptions) => {
      run(async () => {
        const client = await connect(options);
        const secrets = await client.get<SecretView[]>(secretRoute(options));
        printResult(options, secrets, () =>
          formatListing(
            secrets,
            [
              { header: 'ID', value: (s) => s.id },
              { header: 'USES', value: (s) => `${s.uses}/${s.max_uses}` },
              { header: 'EXPIRES', value: (s) => s.expires_on },
              { header: 'NAME', value: (s) => s.name },
            ],
            `${count(secrets.length, 'bootstrap secret')} of profile ${options.profile}`,
          ),
        );
      });
    },
  );

  inProfile(
    secret.command('revoke').description('delete a bootstrap secret: devices can no longer use it').argument('<id>'),
  ).action((id: string, options: SecretOptions) => {
    run(async () => {
      const client = await connect(options);
      const revoked = await client.send<SecretView>('DELETE', secretRoute(options, id));
      printResult(options, revoked, () => `Revoked bootstrap secret ${revoked.id}`);
    });
  });

  inZone(
    est
      .command('approvals')
      .description('list enrollment requests waiting for (or past) an operator decision')
      .addOption(
        new Option('--status <status>', 'only requests in this status').choices([
          'pending',
          'approved',
          'rejected',
          'issued',
        ]),
      ),
  ).action((options: Options & { status?: string }) => {
    run(async () => {
      const client = await connect(options);
      const approvals = await client.get<ApprovalView[]>(
        `/zones/${segment(options.zone)}/est/approvals`,
        options.status === undefined ? undefined : { status: options.status },
      );
      printResult(options, approvals, () =>
        formatListing(
          approvals,
          [
            { header: 'ID', value: (a) => a.id },
            { header: 'STATUS', value: (a) => a.status },
            { header: 'PROFILE', value: (a) => a.profile_id },
            { header: 'REQUESTED', value: (a) => a.created_on },
            { header: 'REQUESTER', value: (a) => a.requester },
          ],
          count(approvals.length, 'enrollment request'),
        ),
      );
    });
  });

  for (const decision of ['approve', 'reject'] as const) {
    inZone(
      est
        .command(decision)
        .description(
          decision === 'approve'
            ? 'approve a pending enrollment: the device gets its certificate at its next retry'
            : 'reject a pending enrollment: the device gets 403 from then on',
        )
        .argument('<enrollment-id>', 'the id `est approvals` shows'),
    ).action((id: string, options: Options) => {
      run(async () => {
        const client = await connect(options);
        const decided = await client.send<ApprovalView>(
          'POST',
          `/zones/${segment(options.zone)}/est/approvals/${segment(id)}/${decision}`,
        );
        printResult(options, decided, () => `Enrollment request ${decided.id} is ${decided.status}`);
      });
    });
  }
}

function describeProfile(profile: ProfileView): string {
  const subject = Object.entries(profile.subject)
    .map(([field, value]) => `${field}=${value}`)
    .join(', ');
  return formatDetails([
    ['ID', profile.id],
    ['Label', profile.label === '' ? '-' : profile.label],
    ['Hostnames', profile.hostnames.join(', ')],
    ['Validity', `${profile.validity_days} days`],
    ['Key types', profile.key_types.join(', ')],
    ['Subject', subject === '' ? '-' : subject],
    ['Common name', profile.common_name_pattern],
    ['DNS names', profile.dns_name_templates.join(', ') || '-'],
    ['Tags', profile.tags.join(', ') || '-'],
    ['Key policies', profile.key_policy_ids === null ? 'no key' : profile.key_policy_ids.join(', ') || '-'],
    ['Auth', authOf(profile)],
    ['Approval', profile.manual_approval ? 'manual' : 'none'],
    ['Renewal', `${profile.renew_before_days} days before expiry; old one valid ${profile.renewal_grace_seconds} s`],
    ['Modified', when(profile.modified_on)],
  ]);
}

function authOf(profile: ProfileView): string {
  const ways = [
    ...(profile.bootstrap_secrets ? ['bootstrap secrets'] : []),
    ...profile.bootstrap_ca_ids.map((id) => `certificates of CA ${id}`),
  ];
  return ways.join(', ') || 'none';
}
