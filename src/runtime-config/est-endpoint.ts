/**
 * EstEndpoint: where the data plane hands an EST request (RFC 7030) to the control plane. EST
 * requests, unlike ordinary traffic, may read the store (they issue certificates); the data plane
 * only frames them: it reads the bounded body, the connection's certificates and channel bindings,
 * and the zone the snapshot gives the requested hostname, and sends back what the handler answers.
 * The composition root connects the handler; without one, every EST path is answered 404.
 */
import type { ChannelBindings } from '../est/channel-binding.ts';
import type { EstPath } from '../est/est-path.ts';
import type { GatewayError } from '../errors/index.ts';

export interface EstRequest {
  readonly path: EstPath;
  readonly method: string;
  /** Lowercase hostname the request was made to. */
  readonly host: string;
  /** The zone the current snapshot gives that hostname. */
  readonly zoneId: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  /** The body as received (bounded); undefined for GET. */
  readonly body: Buffer | undefined;
  /** DER of the client's certificate and what it sent after it; undefined without one. */
  readonly clientCertificate: { readonly leaf: Buffer; readonly chain: readonly Buffer[] } | undefined;
  readonly channelBindings: ChannelBindings;
  readonly clientAddress: string;
}

export interface EstAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An answer, or a registry error and the headers that go with it (WWW-Authenticate, Retry-After). */
export type EstResult =
  EstAnswer | { readonly error: GatewayError; readonly headers?: Readonly<Record<string, string>> };

export type EstHandler = (request: EstRequest) => Promise<EstResult>;

export class EstEndpoint {
  #handler: EstHandler | undefined;

  /** Connects the control plane's handler (once, at start). */
  connect(handler: EstHandler): void {
    this.#handler = handler;
  }

  get handler(): EstHandler | undefined {
    return this.#handler;
  }
}
