/** What the demo prints about the developer portal: its URL and a developer invitation. */
export function formatPortalInstructions(portalUrl: string, invitationUrl: string, edgeCaFile: string): string {
  return [
    '',
    `The developer portal: ${portalUrl}/ (its certificate is from the edge CA ${edgeCaFile}:`,
    'trust that CA in the browser, or accept the warning on this machine).',
    `A developer invitation, valid one day and once: ${invitationUrl}`,
    'Sign up with it, create an app, request access to "Partner API" with a key made in the browser,',
    'download the PKCS#12 file and call the API with the curl line the app page shows.',
    '',
  ].join('\n');
}
