export * from './codes.ts';
export { GatewayError, defineError, type ErrorDefinition } from './define-error.ts';
