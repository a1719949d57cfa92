/**
 * `portcullis portal …`: the developer portal's operator side through the admin API (docs/adr/0017):
 *   product create|list|update|delete   the catalogue
 *   signup-mode [open|approval|invite]  show or set how developers sign up
 *   invite [--email]                    a one-time invitation link (printed once)
 *   developer list|approve|disable|enable|reset-password
 *   request list [--status]|approve|reject|revoke   access requests, with an optional --message
 */
import { Option, type Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult, when } from '../output.ts';

interface ProductView {
  id: string;
  account_id: string;
  name: string;
  api_ids: string[];
  policy_id: string;
  approval_mode: string;
  published: boolean;
}

interface DeveloperView {
  id: string;
  email: string;
  name: string;
  status: string;
  created_on: string;
}

interface RequestView {
  id: string;
  developer_id: string;
  app_id: string;
  product_id: string;
  credential_kind: string;
  status: string;
  message: string;
  requested_on: string;
  key_id: string | null;
  not_after: string | null;
}

interface LinkView {
  id: string;
  kind: string;
  email: string;
  expires_on: string;
  url: string | null;
  path: string;
}

interface ProductOptions extends AdminCommandOptions {
  account?: string;
  name?: string;
  description?: string;
  apiId?: string[];
  policy?: string;
  approval?: string;
  validityDays?: string;
  published?: boolean;
}

function productBody(options: ProductOptions): Record<string, unknown> {
  return {
    ...(options.account === undefined ? {} : { account_id: options.account }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.apiId === undefined ? {} : { api_ids: options.apiId }),
    ...(options.policy === undefined ? {} : { policy_id: options.policy }),
    ...(options.approval === undefined ? {} : { approval_mode: options.approval }),
    ...(options.validityDays === undefined ? {} : { validity_days: Number(options.validityDays) }),
    ...(options.published === undefined ? {} : { published: options.published }),
  };
}

function withProductOptions(command: Command): Command {
  return command
    .option('--name <name>', 'the product name developers see')
    .option('--description <text>', 'what the product offers')
    .option('--api-id <api-id...>', 'the APIs (mtls_dynamic) the product gives access to')
    .option('--policy <policy-id>', "the policy every approved key gets (the product's limits and rights)")
    .addOption(new Option('--approval <mode>', 'who approves requests').choices(['automatic', 'manual']))
    .option('--validity-days <days>', 'validity of the certificates issued for requests')
    .option('--published', 'show it to developers')
    .option('--no-published', 'hide it from developers (approved keys keep working)');
}

const linkText = (link: LinkView): string =>
  [
    `${link.kind === 'invite' ? 'Invitation' : 'Password reset link'}${link.email === '' ? '' : ` for ${link.email}`}, valid until ${when(link.expires_on)}, once:`,
    `  ${link.url ?? `${link.path} (on the portal's address: the portal is not running here)`}`,
  ].join('\n');

export function registerPortalCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const portal = program.command('portal').description('the developer portal: products, developers, access requests');
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  const product = portal.command('product').description('the products of the catalogue');
  withAdminCommandOptions(
    withProductOptions(
      product.command('create').description('publish a product').requiredOption('--account <id>', 'its account'),
    ),
  ).action((options: ProductOptions) => {
    run(async () => {
      const created = await (
        await connect(options)
      ).send<ProductView>('POST', '/portal/products', productBody(options));
      printResult(
        options,
        created,
        () => `Created product ${created.id} "${created.name}" (${created.approval_mode} approval)`,
      );
    });
  });
  withAdminCommandOptions(product.command('list').description('list the products')).action(
    (options: AdminCommandOptions) => {
      run(async () => {
        const products = await (await connect(options)).get<ProductView[]>('/portal/products');
        printResult(options, products, () =>
          formatListing(
            products,
            [
              { header: 'ID', value: (p) => p.id },
              { header: 'NAME', value: (p) => p.name },
              { header: 'APIS', value: (p) => String(p.api_ids.length) },
              { header: 'APPROVAL', value: (p) => p.approval_mode },
              { header: 'PUBLISHED', value: (p) => (p.published ? 'yes' : 'no') },
            ],
            count(products.length, 'product'),
          ),
        );
      });
    },
  );
  withAdminCommandOptions(
    withProductOptions(
      product.command('update').description('change a product').argument('<product-id>', 'product id'),
    ),
  ).action((id: string, options: ProductOptions) => {
    run(async () => {
      const updated = await (
        await connect(options)
      ).send<ProductView>('PATCH', `/portal/products/${segment(id)}`, productBody(options));
      printResult(options, updated, () => `Updated product ${updated.id} "${updated.name}"`);
    });
  });
  withAdminCommandOptions(
    product.command('delete').description('delete a product').argument('<product-id>', 'product id'),
  ).action((id: string, options: AdminCommandOptions) => {
    run(async () => {
      const deleted = await (await connect(options)).send<{ id: string }>('DELETE', `/portal/products/${segment(id)}`);
      printResult(options, deleted, () => `Deleted product ${deleted.id}`);
    });
  });

  withAdminCommandOptions(
    portal
      .command('signup-mode')
      .description('show, or set, how developers sign up: open, approval (the operator approves) or invite (default)')
      .argument('[mode]', 'open, approval or invite'),
  ).action((mode: string | undefined, options: AdminCommandOptions) => {
    run(async () => {
      const client = await connect(options);
      const settings =
        mode === undefined
          ? await client.get<{ signup_mode: string; portal_url: string | null }>('/portal/settings')
          : await client.send<{ signup_mode: string; portal_url: string | null }>('PUT', '/portal/settings', {
              signup_mode: mode,
            });
      printResult(
        options,
        settings,
        () => `Sign-up: ${settings.signup_mode}; portal: ${settings.portal_url ?? 'not running'}`,
      );
    });
  });

  withAdminCommandOptions(
    portal
      .command('invite')
      .description('make a one-time invitation link for a developer (printed once)')
      .option('--email <email>', 'only this address may use it')
      .option('--days <days>', 'valid for this many days (1 to 30)', '7'),
  ).action((options: AdminCommandOptions & { email?: string; days: string }) => {
    run(async () => {
      const link = await (
        await connect(options)
      ).send<LinkView>('POST', '/portal/invitations', {
        ...(options.email === undefined ? {} : { email: options.email }),
        expires_in_days: Number(options.days),
      });
      printResult(options, link, () => linkText(link));
    });
  });

  const developer = portal.command('developer').description('developers of the portal');
  withAdminCommandOptions(developer.command('list').description('list developers')).action(
    (options: AdminCommandOptions) => {
      run(async () => {
        const developers = await (await connect(options)).get<DeveloperView[]>('/portal/developers');
        printResult(options, developers, () =>
          formatListing(
            developers,
            [
              { header: 'ID', value: (d) => d.id },
              { header: 'EMAIL', value: (d) => d.email },
              { header: 'STATUS', value: (d) => d.status },
              { header: 'SINCE', value: (d) => when(d.created_on) },
            ],
            count(developers.length, 'developer'),
          ),
        );
      });
    },
  );
  for (const [name, status, description] of [
    ['approve', 'active', 'approve a developer waiting for approval'],
    ['disable', 'disabled', 'disable a developer (their sessions end; their keys stay until revoked)'],
    ['enable', 'active', 'enable a disabled developer again'],
  ] as const) {
    withAdminCommandOptions(
      developer.command(name).description(description).argument('<developer-id>', 'developer id'),
    ).action((id: string, options: AdminCommandOptions) => {
      run(async () => {
        const changed = await (
          await connect(options)
        ).send<DeveloperView>('PATCH', `/portal/developers/${segment(id)}`, {
          status,
        });
        printResult(options, changed, () => `Developer ${changed.email} is ${changed.status}`);
      });
    });
  }
  withAdminCommandOptions(
    developer
      .command('reset-password')
      .description("make a one-time link that sets a developer's password (printed once)")
      .argument('<developer-id>', 'developer id'),
  ).action((id: string, options: AdminCommandOptions) => {
    run(async () => {
      const link = await (
        await connect(options)
      ).send<LinkView>('POST', `/portal/developers/${segment(id)}/password_reset`, {});
      printResult(options, link, () => linkText(link));
    });
  });

  const request = portal.command('request').description("developers' access requests");
  withAdminCommandOptions(
    request
      .command('list')
      .description('list access requests')
      .addOption(new Option('--status <status>', 'only these').choices(['pending', 'approved', 'rejected', 'revoked'])),
  ).action((options: AdminCommandOptions & { status?: string }) => {
    run(async () => {
      const requests = await (
        await connect(options)
      ).get<RequestView[]>(
        '/portal/access_requests',
        options.status === undefined ? undefined : { status: options.status },
      );
      printResult(options, requests, () =>
        formatListing(
          requests,
          [
            { header: 'ID', value: (r) => r.id },
            { header: 'STATUS', value: (r) => r.status },
            { header: 'PRODUCT', value: (r) => r.product_id },
            { header: 'DEVELOPER', value: (r) => r.developer_id },
            { header: 'CREDENTIAL', value: (r) => r.credential_kind },
            { header: 'REQUESTED', value: (r) => when(r.requested_on) },
          ],
          count(requests.length, 'request'),
        ),
      );
    });
  });
  for (const [name, description] of [
    ['approve', 'approve: the certificate is issued (key and CSR requests) and a key bound to it'],
    ['reject', 'reject a request'],
    ['revoke', 'revoke an approved credential: its key is deleted, its certificate revoked'],
  ] as const) {
    const command = request.command(name).description(description).argument('<request-id>', 'request id');
    if (name !== 'revoke') command.option('--message <text>', 'shown to the developer');
    withAdminCommandOptions(command).action((id: string, options: AdminCommandOptions & { message?: string }) => {
      run(async () => {
        const decided = await (
          await connect(options)
        ).send<RequestView>(
          'POST',
          `/portal/access_requests/${segment(id)}/${name}`,
          name === 'revoke' ? undefined : { ...(options.message === undefined ? {} : { message: options.message }) },
        );
        printResult(
          options,
          decided,
          () =>
            `Request ${decided.id} is ${decided.status}${decided.key_id === null ? '' : ` (key ${decided.key_id})`}`,
        );
      });
    });
  }
}
