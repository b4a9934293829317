/**
 * ringlog's benchmark suite: `npm run bench` (full) or `npm run bench -- --quick` (CI).
 *
 * Prints the machine, then each scenario's table as it completes, then the project's targets
 * with PASS/MISS, and writes everything to bench/results/<timestamp>.json. Every measurement
 * runs in a child process of its own (lib/child.ts); this process only plans, checks files and
 * reports. Exit code 1 when a scenario failed or ringlog lost, duplicated or tore a record.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type Config, type ScenarioName } from './lib/config.js';
import { fixed, int, rounds } from './lib/format.js';
import { describeMachine, formatMachine } from './lib/machine.js';
import { checkTargets, formatTargets } from './lib/targets.js';
import * as drain from './scenarios/drain.js';
import * as immediacy from './scenarios/immediacy.js';
import * as latency from './scenarios/latency.js';
import * as micro from './scenarios/micro.js';
import * as overload from './scenarios/overload.js';
import * as processes from './scenarios/processes.js';
import * as startup from './scenarios/startup.js';
import * as throughput from './scenarios/throughput.js';

const started = performance.now();
const config = parseArgs(process.argv.slice(2));
const machine = describeMachine();

console.log(`ringlog benchmarks${config.quick ? ' (quick)' : ''}`);
console.log(formatMachine(machine));
console.log(
  `config    N=${config.workerCounts.join(',')}, M=${int(config.recordsPerWorker)}, ${rounds(config.repeats)}; ` +
    `drain ${int(config.drainRecords)} records per case, ${rounds(config.drainRepeats)}; ` +
    `variants ${config.variants.join(', ')}; scenarios ${config.scenarios.join(', ')}`,
);

const results: Partial<Record<ScenarioName, unknown>> = {};
const failures: string[] = [];
const SCENARIOS: Record<ScenarioName, (config: Config) => Promise<unknown>> = {
  throughput: throughput.run,
  processes: processes.run,
  drain: drain.run,
  immediacy: immediacy.run,
  overload: overload.run,
  micro: micro.run,
  latency: latency.run,
  startup: startup.run,
};
for (const name of config.scenarios) {
  const scenarioStarted = performance.now();
  try {
    results[name] = await SCENARIOS[name](config);
    console.log(`(${name}: ${fixed((performance.now() - scenarioStarted) / 1000, 1)} s)`);
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    failures.push(`${name}: ${text}`);
    console.log(`\n== ${name}: FAILED\n${text}`);
  }
}

const throughputResults = results.throughput as throughput.WorkersResult[] | undefined;
const processesResult = results.processes as processes.Result | undefined;
const targets = checkTargets({
  throughput: throughputResults,
  processes: processesResult,
  drain: results.drain as drain.Result | undefined,
  latency: results.latency as latency.Result | undefined,
  startup: results.startup as startup.Result | undefined,
});
const integrity = ringlogIntegrity(throughputResults, processesResult);
if (integrity.problems.length > 0) failures.push(...integrity.problems);

console.log('\n== targets (ratios from this run)');
console.log(formatTargets(config, targets));
if (integrity.checked > 0) {
  console.log(
    integrity.problems.length === 0
      ? `ringlog integrity: OK, ${int(integrity.checked)} records in ${integrity.runs} runs, each in the file exactly once, whole, in its worker's order`
      : `ringlog integrity: FAILED\n  ${integrity.problems.join('\n  ')}`,
  );
}

const elapsedMs = performance.now() - started;
const jsonPath = config.jsonPath ?? defaultJsonPath(machine.date);
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify({ machine, config, elapsedMs, ...results, targets, ringlogIntegrity: integrity, failures }, null, 2)}\n`);
console.log(`\nresults   ${jsonPath}`);
console.log(`elapsed   ${fixed(elapsedMs / 1000, 1)} s`);
if (failures.length > 0) {
  console.log(`FAILED: ${failures.length} problem(s), see above`);
  process.exitCode = 1;
}

function defaultJsonPath(date: string): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  return `${dir}${date.replaceAll(':', '-')}.json`;
}

/**
 * ringlog (each of its variants, and both arrangements of the processes scenario) must deliver
 * every record of every run exactly once, whole, in its worker's order.
 */
function ringlogIntegrity(
  all: readonly throughput.WorkersResult[] | undefined,
  forwarded: processes.Result | undefined,
): { checked: number; runs: number; problems: string[] } {
  let checked = 0;
  let runs = 0;
  const problems: string[] = [];
  for (const result of all ?? []) {
    for (const m of result.measurements) {
      if (!m.variant.startsWith('ringlog') || m.integrity === undefined) continue;
      const { expected, intact, lost, duplicate, torn, outOfOrder } = m.integrity;
      runs++;
      checked += expected;
      if (intact !== expected || lost !== 0 || duplicate !== 0 || torn !== 0 || outOfOrder !== 0) {
        problems.push(
          `${m.variant} N=${result.workers} round ${m.round}: ${intact}/${expected} intact, ${lost} lost, ${duplicate} duplicate, ${torn} torn, ${outOfOrder} out of order`,
        );
      }
    }
  }
  for (const m of forwarded?.measurements ?? []) {
    runs++;
    checked += m.integrity.expected;
  }
  if (forwarded !== undefined) problems.push(...processes.integrityProblems(forwarded));
  return { checked, runs, problems };
}
