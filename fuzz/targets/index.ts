// Every fuzz target, by name.
import type { Target } from '../target';
import { clientTargets } from './client';
import { contentTarget } from './content';
import { cryptoTargets } from './crypto';
import { redactTargets } from './redact';
import { sdkTargets } from './sdk';
import { relayHttpTarget, relayWsTarget } from './relay';

export function allTargets(): Target[] {
  return [...cryptoTargets(), ...clientTargets(), contentTarget(), ...sdkTargets(), ...redactTargets(), relayHttpTarget(), relayWsTarget()];
}
