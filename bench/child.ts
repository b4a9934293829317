/**
 * Entry of a measuring process (see lib/child.ts): runs one measurement of one scenario and
 * sends the result to the parent. It exits as soon as the result is sent: a run that was
 * abandoned (an overload queue too big to drain) may still have threads working.
 */
import type { ChildSpec } from './lib/child.js';

const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
try {
  const scenario = (await import(`./scenarios/${spec.scenario}.js`)) as { measure(spec: ChildSpec): Promise<unknown> };
  const result = await scenario.measure(spec);
  process.send!({ ok: true, result }, () => process.exit(0));
} catch (error) {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send!({ ok: false, error: `${spec.scenario} failed in the measuring process: ${text}` }, () => process.exit(1));
}
