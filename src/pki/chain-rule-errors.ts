/**
 * The error an upload (or a configured CA) gets for a client-chain rule that applies to CAs: one registry entry
 * per kind of rule (errors/codes.ts, v4 12140–12147), so that API clients can tell them apart by code; the
 * message starts with the rule itself. Rules without an entry here concern leaves or whole paths only.
 */
import {
  GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL,
  GW_ERR_CA_DUPLICATE_EXTENSION,
  GW_ERR_CA_KEY_IDENTIFIER_MISSING,
  GW_ERR_CA_MALFORMED_EXTENSION,
  GW_ERR_CA_NAME_CONSTRAINTS_INVALID,
  GW_ERR_CA_SERIAL_INVALID,
  GW_ERR_CA_UNKNOWN_CRITICAL_EXTENSION,
  GW_ERR_CA_WEAK_KEY,
  type ErrorDefinition,
} from '../errors/index.ts';
import type { ChainRule } from './chain-violation.ts';

export const CA_RULE_ERRORS: Partial<Record<ChainRule, ErrorDefinition>> = {
  'weak-rsa-key': GW_ERR_CA_WEAK_KEY,
  'rsa-modulus-not-multiple-of-8': GW_ERR_CA_WEAK_KEY,
  'dsa-key': GW_ERR_CA_WEAK_KEY,
  'weak-ec-curve': GW_ERR_CA_WEAK_KEY,
  'unsupported-key-algorithm': GW_ERR_CA_WEAK_KEY,
  'serial-zero': GW_ERR_CA_SERIAL_INVALID,
  'serial-negative': GW_ERR_CA_SERIAL_INVALID,
  'serial-too-long': GW_ERR_CA_SERIAL_INVALID,
  'duplicate-extension': GW_ERR_CA_DUPLICATE_EXTENSION,
  'unknown-critical-extension': GW_ERR_CA_UNKNOWN_CRITICAL_EXTENSION,
  'malformed-subject-alt-name': GW_ERR_CA_MALFORMED_EXTENSION,
  'malformed-authority-info-access': GW_ERR_CA_MALFORMED_EXTENSION,
  'name-constraints-empty': GW_ERR_CA_NAME_CONSTRAINTS_INVALID,
  'name-constraints-malformed': GW_ERR_CA_NAME_CONSTRAINTS_INVALID,
  'root-basic-constraints-not-critical': GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL,
  'missing-subject-key-identifier': GW_ERR_CA_KEY_IDENTIFIER_MISSING,
  'missing-authority-key-identifier': GW_ERR_CA_KEY_IDENTIFIER_MISSING,
};
