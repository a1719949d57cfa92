/**
 * EstEnrollmentService: the control plane's side of EST (RFC 7030 with RFC 8951, docs/adr/0016). The
 * data plane frames a request (est-request-handler.ts) and hands it over through the runtime-config
 * EstEndpoint; this finds the profile, authenticates the device, checks the CSR, issues and answers.
 *
 *   cacerts         the account's managed CA, certs-only PKCS #7, base64
 *   csrattrs        204, or the curves an EC-only profile asks for
 *   simpleenroll    a bootstrap certificate from a manufacturer CA of the profile, or a bootstrap
 *                   secret over HTTP Basic (user: the secret's id); manual approval answers 202 +
 *                   Retry-After until an operator decides
 *   simplereenroll  the device's current certificate of this profile over TLS: valid, active, not
 *                   replaced; same subject and SANs (§4.2.2). Its key bindings and tags move to the new
 *                   certificate at once; the old one is revoked after the profile's grace period
 *
 * Every refusal happens before anything is written; the writes of one enrollment (the secret's use,
 * the certificate, its enrollment record, tags, key) are one transaction. No message carries a secret.
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import {
  GW_ERR_EST_AUTH_FAILED,
  GW_ERR_EST_AUTH_REQUIRED,
  GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN,
  GW_ERR_EST_BOOTSTRAP_REVOKED,
  GW_ERR_EST_CHANNEL_BINDING,
  GW_ERR_EST_NOT_FOUND,
  GW_ERR_EST_REENROLL_REFUSED,
  GW_ERR_EST_REJECTED,
  GW_ERR_EST_REQUEST_INVALID,
  GatewayError,
} from '../../errors/index.ts';
import { readCsr, type ParsedCsr } from '../../pki/csr.ts';
import { toPem } from '../../pki/pem.ts';
import { issueClientCertificate } from '../../pki/client-certificate-issuer.ts';
import { readBasicCredentials } from '../../est/basic-auth.ts';
import { channelBindingMatches } from '../../est/channel-binding.ts';
import { decodeBase64Body, encodeBase64Body, requireMediaType } from '../../est/est-body.ts';
import { csrAttrsFor } from '../../est/csr-attrs.ts';
import { readCsrAttributes, type CsrAttributes } from '../../est/csr-attributes.ts';
import { checkReenrollmentNames, namesForEnrollment, type EnrollmentNames } from '../../est/enrollment-rules.ts';
import type { EstRequest, EstResult } from '../../runtime-config/est-endpoint.ts';
import type { OcspStatusSource } from '../../runtime-config/uploaded-ca-revocation.ts';
import type { Store } from '../../store/ports.ts';
import type { ClientCertificateRecord, GatewayKeyRecord, ManagedCaRecord } from '../../model/records.ts';
import type { EstEnrollmentMethod, EstProfileRecord } from '../../model/est-records.ts';
import { isoMicros, isoSeconds, newHexId, newUuid } from '../ids.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';
import type { PublicPkiPublisher } from '../publish/public-pki-publisher.ts';
import { certsOnlyAnswer, pendingAnswer } from './est-answers.ts';
import { chainToAnchor } from './bootstrap-certificate.ts';
import { bootstrapRevocationStatus } from './bootstrap-revocation.ts';
import type { EstAttemptLimiter } from './est-attempt-limiter.ts';
import { serialToWire } from '../../pki/serial.ts';

export interface EstEnrollmentServiceOptions {
  store: Store;
  managedCas: ManagedCaService;
  publisher: PublicPkiPublisher;
  /** Base URL of the gateway (CRL and OCSP URLs in certificates). */
  publicUrl: () => string;
  /** Called after an enrollment is committed: new keys and revocations reach every gateway's snapshot. */
  announce: () => Promise<void>;
  /** OCSP for bootstrap certificates of manufacturer CAs that turn it on (the gateway's shared checker). */
  ocsp?: OcspStatusSource;
  /** Bounds enroll attempts per client address and per bootstrap secret; absent: no limits (unit tests). */
  limiter?: EstAttemptLimiter;
  /** Seconds a device waiting for approval is told to wait (Retry-After); default 60. */
  retryAfterSeconds?: number;
  now?: () => Date;
}

/** Who authenticated an enrollment: what the approval record and the enrollment record say. */
interface Requester {
  readonly method: EstEnrollmentMethod;
  /** The secret's id, the certificate's SHA-256, or the replaced certificate's id. */
  readonly by: string;
  /** For a secret: what consumes one use in the enrollment's transaction. */
  readonly secret?: { readonly id: string; readonly hash: string };
}

const CHALLENGE = { 'www-authenticate': 'Basic realm="est", charset="UTF-8"' };
/** The HTTP Basic user of a bootstrap secret: its id. */
const SECRET_ID = /^[0-9a-f]{32}$/;
/**
 * Refusals that count as failed authentication for the limits. Not GW_ERR_EST_AUTH_REQUIRED: RFC 7030
 * clients commonly send a first request without credentials and answer the challenge.
 */
const REFUSED_CREDENTIALS: ReadonlySet<string> = new Set([
  GW_ERR_EST_AUTH_FAILED.code,
  GW_ERR_EST_BOOTSTRAP_REVOKED.code,
  GW_ERR_EST_REENROLL_REFUSED.code,
]);

export class EstEnrollmentService {
  readonly #options: EstEnrollmentServiceOptions;

  constructor(options: EstEnrollmentServiceOptions) {
    this.#options = options;
  }

  /** Answers one EST request; refusals are answers too (never thrown), only faults of ours reject. */
  async handle(request: EstRequest): Promise<EstResult> {
    const operation = request.path.operation;
    const limiter = this.#options.limiter;
    if (limiter === undefined || (operation !== 'simpleenroll' && operation !== 'simplereenroll')) {
      return this.#answer(request);
    }
    const user = readBasicCredentials(request.authorization)?.user;
    const admission = await limiter.admit(
      request.clientAddress,
      user !== undefined && SECRET_ID.test(user) ? user : undefined,
    );
    if (!admission.admitted) return admission.refusal;
    const result = await this.#answer(request);
    if ('error' in result && REFUSED_CREDENTIALS.has(result.error.code)) await admission.failed();
    return result;
  }

  async #answer(request: EstRequest): Promise<EstResult> {
    try {
      return await this.#handle(request);
    } catch (error) {
      if (!(error instanceof GatewayError) || error.httpStatus >= 500) throw error;
      return error.httpStatus === 401 ? { error, headers: CHALLENGE } : { error };
    }
  }

  async #handle(request: EstRequest): Promise<EstResult> {
    const profile = await this.#profileFor(request);
    const ca = await this.#options.managedCas.getOrCreate(profile.accountId);
    switch (request.path.operation) {
      case 'cacerts':
        return certsOnlyAnswer([new X509Certificate(ca.certificatePem).raw]);
      case 'csrattrs': {
        const attrs = csrAttrsFor(profile.settings.keyTypes);
        return attrs === undefined
          ? { status: 204 }
          : { status: 200, contentType: 'application/csrattrs', body: encodeBase64Body(attrs) };
      }
      case 'simpleenroll':
        return this.#enroll(request, profile, ca);
      case 'simplereenroll':
        return this.#reenroll(request, profile, ca);
    }
  }

  async #profileFor(request: EstRequest): Promise<EstProfileRecord> {
    const profiles = await this.#options.store.listEstProfiles(request.zoneId);
    const profile = profiles.find(
      (candidate) => candidate.label === request.path.label && candidate.settings.hostnames.includes(request.host),
    );
    if (profile === undefined) {
      const where = request.path.label === '' ? request.host : `${request.host}, label ${request.path.label}`;
      throw GW_ERR_EST_NOT_FOUND.create(`no enrollment profile for ${where}`);
    }
    return profile;
  }

  async #enroll(request: EstRequest, profile: EstProfileRecord, ca: ManagedCaRecord): Promise<EstResult> {
    const requester = await this.#authenticate(request, profile);
    const { csr } = readEnrollmentCsr(request);
    const names = namesForEnrollment(csr.subject, csr.keyAlgorithm, profile.settings);
    if (profile.settings.manualApproval) {
      const approved = await this.#approval(profile, csr, requester);
      if (approved !== 'approved') return approved;
    }
    const issued = await this.#issue(profile, ca, csr, names, requester, undefined);
    return certsOnlyAnswer([issued.der]);
  }

  /**
   * RFC 7030 §4.2.3: the first request of a key makes an approval record and is answered 202; its
   * retries (same key, same requester) are answered 202 until an operator approves, then issued
   * once. The secret's use is counted when the certificate is issued, so a retry never spends it.
   */
  async #approval(profile: EstProfileRecord, csr: ParsedCsr, requester: Requester): Promise<EstResult | 'approved'> {
    const { store } = this.#options;
    const spki = createHash('sha256').update(csr.publicKey).digest('hex');
    const who = `${requester.method}:${requester.by}`;
    const retryAfter = this.#options.retryAfterSeconds ?? 60;
    const existing = await store.findEstApproval(profile.id, spki);
    if (existing === undefined) {
      await store.createEstApproval({
        id: newUuid(),
        accountId: profile.accountId,
        zoneId: profile.zoneId,
        profileId: profile.id,
        spkiSha256: spki,
        requester: who,
        csrPem: csr.pem,
        status: 'pending',
        clientCertificateId: null,
        createdOn: isoSeconds(this.#now()),
        decidedOn: null,
      });
      return pendingAnswer(retryAfter);
    }
    // Another requester asking for the same key learns nothing about the first one's request.
    if (existing.requester !== who)
      throw GW_ERR_EST_AUTH_FAILED.create('this key is enrolling under other credentials');
    switch (existing.status) {
      case 'pending':
        return pendingAnswer(retryAfter);
      case 'rejected':
        throw GW_ERR_EST_REJECTED.create();
      case 'issued': {
        const record =
          existing.clientCertificateId === null
            ? undefined
            : await store.getClientCertificate(profile.zoneId, existing.clientCertificateId);
        if (record === undefined) throw GW_ERR_EST_REJECTED.create();
        return certsOnlyAnswer([new X509Certificate(record.certificatePem).raw]);
      }
      case 'approved':
        return 'approved';
    }
  }

  async #authenticate(request: EstRequest, profile: EstProfileRecord): Promise<Requester> {
    const { settings } = profile;
    const presented = request.clientCertificate;
    if (presented !== undefined && settings.bootstrapCaIds.length > 0) {
      const leaf = new X509Certificate(presented.leaf);
      const anchors = await this.#bootstrapAnchors(profile);
      const sent = presented.chain.map((der) => new X509Certificate(der));
      const nowMs = this.#now().getTime();
      const chain = chainToAnchor(leaf, sent, anchors, nowMs);
      if (chain !== undefined) {
        await this.#refuseRevoked(profile, chain.anchor.caId, leaf, chain.issuer, nowMs);
        return { method: 'bootstrap_certificate', by: leaf.fingerprint256.replaceAll(':', '').toLowerCase() };
      }
    }
    const credentials = readBasicCredentials(request.authorization);
    if (credentials === undefined || !settings.bootstrapSecrets) {
      throw GW_ERR_EST_AUTH_REQUIRED.create(
        settings.bootstrapSecrets
          ? 'send Authorization: Basic with the secret id and secret'
          : 'this profile accepts bootstrap certificates only',
      );
    }
    const refused = GW_ERR_EST_AUTH_FAILED.create('the bootstrap secret is wrong, used up or expired');
    if (!SECRET_ID.test(credentials.user)) throw refused;
    const secret = await this.#options.store.getBootstrapSecret(credentials.user);
    const hash = createHash('sha256').update(credentials.password, 'utf8').digest('hex');
    if (
      secret === undefined ||
      secret.profileId !== profile.id ||
      !timingSafeEqual(Buffer.from(secret.secretHash, 'hex'), Buffer.from(hash, 'hex')) ||
      secret.uses >= secret.maxUses ||
      secret.expiresOn <= isoSeconds(this.#now())
    ) {
      throw refused;
    }
    return { method: 'bootstrap_secret', by: secret.id, secret: { id: secret.id, hash } };
  }

  /**
   * The manufacturer CA's revocation (docs/adr/0014) applied to the bootstrap certificate. A status
   * that cannot be established refuses, whatever the CA's fail mode: that mode is about letting a
   * request through, while this would issue a certificate that outlives the outage; the device
   * retries. A revoked bootstrap certificate does not fall back to a secret in the same request.
   */
  async #refuseRevoked(
    profile: EstProfileRecord,
    caId: string,
    leaf: X509Certificate,
    issuer: X509Certificate,
    nowMs: number,
  ): Promise<void> {
    const status = await bootstrapRevocationStatus({
      store: this.#options.store,
      ocsp: this.#options.ocsp,
      accountId: profile.accountId,
      caId,
      leaf,
      issuer,
      nowMs,
    });
    if (status.kind === 'revoked') {
      const source = { block_list: 'blocked by the operator', crl: "listed in the CA's CRL", ocsp: 'OCSP says so' };
      throw GW_ERR_EST_BOOTSTRAP_REVOKED.create(source[status.source]);
    }
    if (status.kind === 'unknown') throw GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN.create(status.reason);
  }

  async #bootstrapAnchors(profile: EstProfileRecord): Promise<{ certificate: X509Certificate; caId: string }[]> {
    const anchors: { certificate: X509Certificate; caId: string }[] = [];
    for (const id of profile.settings.bootstrapCaIds) {
      const uploaded = await this.#options.store.getMtlsCertificate(profile.accountId, id);
      if (uploaded === undefined || !uploaded.ca) continue; // removed since: trusted by nobody
      for (const block of uploaded.certificatesPem.split(/(?=-----BEGIN CERTIFICATE-----)/)) {
        if (!block.includes('-----BEGIN CERTIFICATE-----')) continue;
        const certificate = new X509Certificate(block);
        if (certificate.ca) anchors.push({ certificate, caId: id });
      }
    }
    return anchors;
  }

  async #reenroll(request: EstRequest, profile: EstProfileRecord, ca: ManagedCaRecord): Promise<EstResult> {
    const { store } = this.#options;
    const presented = request.clientCertificate;
    if (presented === undefined) {
      throw GW_ERR_EST_REENROLL_REFUSED.create(
        'no client certificate was presented (is the managed CA associated with this hostname?)',
      );
    }
    const leaf = new X509Certificate(presented.leaf);
    const caCertificate = new X509Certificate(ca.certificatePem);
    const nowMs = this.#now().getTime();
    if (!leaf.checkIssued(caCertificate) || !leaf.verify(caCertificate.publicKey)) {
      throw GW_ERR_EST_REENROLL_REFUSED.create("the certificate is not from this account's managed CA");
    }
    if (nowMs < Date.parse(leaf.validFrom) || nowMs >= Date.parse(leaf.validTo)) {
      throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate has expired');
    }
    const fingerprint = leaf.fingerprint256.replaceAll(':', '').toLowerCase();
    const current = await store.getClientCertificateBySerial(ca.id, serialToWire(leaf.serialNumber));
    if (current === undefined || current.fingerprintSha256 !== fingerprint || current.zoneId !== profile.zoneId) {
      throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate is not one this zone issued');
    }
    if (current.status !== 'active') throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate is revoked');
    const enrollment = await store.getEstEnrollment(current.id);
    if (enrollment?.profileId !== profile.id) {
      throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate was not enrolled through this profile');
    }
    if (enrollment.replacedBy !== null) {
      throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate was renewed already: re-enroll with its successor');
    }
    const { csr, attributes } = readEnrollmentCsr(request);
    // The key type and name rules of the profile as it is now; then the names must be the current ones.
    namesForEnrollment(csr.subject, csr.keyAlgorithm, profile.settings);
    const dnsNames = dnsNamesOf(leaf);
    const subject = {
      commonName: current.commonName,
      country: current.country,
      state: current.state,
      locality: current.location,
      organization: current.organization,
      organizationalUnit: current.organizationalUnit,
    };
    checkReenrollmentNames(csr.subject, attributes.subjectAltNames, { subject, dnsNames });
    const issued = await this.#issue(
      profile,
      ca,
      csr,
      { subject, dnsNames },
      { method: 'reenroll', by: current.id },
      current,
    );
    return certsOnlyAnswer([issued.der]);
  }

  /** Signs, then writes everything of the enrollment in one transaction; announces the change. */
  async #issue(
    profile: EstProfileRecord,
    ca: ManagedCaRecord,
    csr: ParsedCsr,
    names: EnrollmentNames,
    requester: Requester,
    replacing: ClientCertificateRecord | undefined,
  ): Promise<{ der: Uint8Array; record: ClientCertificateRecord }> {
    const { store, managedCas, publisher } = this.#options;
    const publicUrl = this.#options.publicUrl();
    const now = this.#now();
    const issued = issueClientCertificate({
      ca: managedCas.authorityOf(ca),
      csr,
      subject: names.subject,
      subjectAltNames: names.dnsNames.map((value) => ({ kind: 'dns' as const, value })),
      validityDays: profile.settings.validityDays,
      now,
      crlUrl: `${publicUrl}/.well-known/portcullis/crl/${ca.id}.crl`,
      ocspUrl: `${publicUrl}/.well-known/portcullis/ocsp/${ca.id}`,
    });
    const record: ClientCertificateRecord = {
      id: newUuid(),
      zoneId: profile.zoneId,
      accountId: profile.accountId,
      caId: ca.id,
      certificatePem: issued.certPem,
      csr: csr.pem,
      commonName: names.subject.commonName,
      country: names.subject.country,
      state: names.subject.state,
      location: names.subject.locality,
      organization: names.subject.organization,
      organizationalUnit: names.subject.organizationalUnit,
      serialNumber: issued.serialHex,
      fingerprintSha256: issued.fingerprintSha256,
      ski: issued.skiHex,
      signature: issued.signature,
      status: 'active',
      validityDays: profile.settings.validityDays,
      issuedOn: isoSeconds(issued.issuedOn),
      expiresOn: isoSeconds(issued.expiresOn),
      revokedAt: null,
    };
    const spki = createHash('sha256').update(csr.publicKey).digest('hex');
    await store.transaction(async (trx) => {
      await trx.lockAccount(profile.accountId);
      if ((await trx.getZone(profile.zoneId)) === undefined) throw GW_ERR_EST_NOT_FOUND.create('the zone was deleted');
      if (requester.secret !== undefined) {
        const counted = await trx.consumeBootstrapSecret(requester.secret.id, requester.secret.hash, isoSeconds(now));
        if (!counted) throw GW_ERR_EST_AUTH_FAILED.create('the bootstrap secret is wrong, used up or expired');
      }
      if (replacing !== undefined) {
        const revokeAfter = isoSeconds(new Date(now.getTime() + profile.settings.renewalGraceSeconds * 1000));
        if (!(await trx.replaceEstEnrollment(replacing.id, record.id, revokeAfter))) {
          throw GW_ERR_EST_REENROLL_REFUSED.create('the certificate was renewed already: re-enroll with its successor');
        }
      }
      await trx.createClientCertificate(record);
      await trx.createEstEnrollment({
        clientCertificateId: record.id,
        accountId: profile.accountId,
        zoneId: profile.zoneId,
        profileId: profile.id,
        method: requester.method,
        enrolledBy: requester.by,
        replacedBy: null,
        revokeAfter: null,
        createdOn: isoSeconds(now),
      });
      if (replacing === undefined) {
        await trx.setClientCertificateTags(record.id, profile.zoneId, profile.settings.tags);
        if (profile.settings.keyPolicyIds !== null) await trx.createKey(this.#deviceKey(profile, record, now));
        if (profile.settings.manualApproval) {
          const approval = await trx.findEstApproval(profile.id, spki);
          if (approval !== undefined) {
            await trx.updateEstApproval({ ...approval, status: 'issued', clientCertificateId: record.id });
          }
        }
      } else {
        const tags = (await trx.listClientCertificateTags([replacing.id])).get(replacing.id) ?? [];
        await trx.setClientCertificateTags(record.id, profile.zoneId, tags);
        await moveKeyBindings(trx, profile.accountId, replacing, record, spki, now);
      }
    });
    await publisher.ensurePublished(ca);
    await this.#options.announce();
    return { der: issued.der, record };
  }

  #deviceKey(profile: EstProfileRecord, record: ClientCertificateRecord, now: Date): GatewayKeyRecord {
    const created = isoMicros(now);
    return {
      id: newHexId(),
      accountId: profile.accountId,
      alias: `est:${record.commonName}`.slice(0, 200),
      certificateBinding: { kind: 'leaf_sha256', value: record.fingerprintSha256 },
      secretHash: null,
      policyIds: [...(profile.settings.keyPolicyIds ?? [])],
      accessRights: [],
      rateLimit: null,
      quota: null,
      expiresOn: null,
      metadata: { est_profile_id: profile.id, client_certificate_id: record.id },
      active: true,
      createdOn: created,
      modifiedOn: created,
    };
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}

/**
 * The keys of the replaced certificate now name the new one: bound to its leaf, the binding moves
 * to the new leaf; bound to its public key, to the new key (unchanged when the device kept its key).
 */
async function moveKeyBindings(
  store: Store,
  accountId: string,
  replaced: ClientCertificateRecord,
  next: ClientCertificateRecord,
  nextSpki: string,
  now: Date,
): Promise<void> {
  const byLeaf = await store.getKeyByBinding(accountId, { kind: 'leaf_sha256', value: replaced.fingerprintSha256 });
  if (byLeaf !== undefined) {
    await store.updateKey({
      ...byLeaf,
      certificateBinding: { kind: 'leaf_sha256', value: next.fingerprintSha256 },
      metadata: { ...byLeaf.metadata, client_certificate_id: next.id },
      modifiedOn: isoMicros(now),
    });
  }
  const replacedSpki = createHash('sha256')
    .update(new X509Certificate(replaced.certificatePem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  if (replacedSpki === nextSpki) return;
  const bySpki = await store.getKeyByBinding(accountId, { kind: 'spki_sha256', value: replacedSpki });
  if (bySpki !== undefined) {
    await store.updateKey({
      ...bySpki,
      certificateBinding: { kind: 'spki_sha256', value: nextSpki },
      modifiedOn: isoMicros(now),
    });
  }
}

function readEnrollmentCsr(request: EstRequest): { csr: ParsedCsr; attributes: CsrAttributes } {
  requireMediaType(request.contentType, 'application/pkcs10');
  const der = decodeBase64Body(request.body ?? Buffer.alloc(0));
  // Ed25519 is read here so that the profile's key types decide, with their own refusal (enrollment-rules.ts).
  const csr = readCsr(toPem(der, 'CERTIFICATE REQUEST'), { ed25519: true });
  let attributes: CsrAttributes;
  try {
    attributes = readCsrAttributes(der);
  } catch (error) {
    throw GW_ERR_EST_REQUEST_INVALID.create(`the CSR's attributes cannot be read: ${(error as Error).message}`);
  }
  if (
    attributes.challengePassword !== undefined &&
    !channelBindingMatches(attributes.challengePassword, request.channelBindings)
  ) {
    throw GW_ERR_EST_CHANNEL_BINDING.create();
  }
  return { csr, attributes };
}

/** The DNS names of a certificate's subjectAltName, lowercase. */
function dnsNamesOf(certificate: X509Certificate): string[] {
  const text = certificate.subjectAltName ?? '';
  return text
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}
