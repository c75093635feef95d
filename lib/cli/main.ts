#!/usr/bin/env node
// The actor-kv command (the guide's kv_server application): reads its
// configuration, starts the store and the text server, and shuts down cleanly.

import { deferred } from '../core/deferred';
import type { Logger } from '../core/logger';
import { Registry } from 'prom-client';
import { startObserver, type Observer } from '../server/observer/observer';
import { startServer, type KvServer } from '../server/server';
import { createStore, type Store } from '../store';
import { usage } from './config';
import { defaultLogFormat, stderrLogger } from './log';
import { startFailureDetails, startFailureText, usageErrorText } from './messages';
import { planFrom, type Plan } from './plan';
import { printTree, treeTarget, treeUsage } from './tree-command';
import { packageVersion } from './version';

/** How long a clean shutdown may take before the process exits anyway. */
const shutdownDeadlineMs = 10_000;

async function main(): Promise<void> {
  if (process.argv[2] === 'tree') return tree(process.argv.slice(3));
  const plan = planFrom(process.argv.slice(2), process.env);
  if (plan.kind === 'help') return void process.stdout.write(usage());
  if (plan.kind === 'version') return void process.stdout.write(`${packageVersion()}\n`);
  if (plan.kind === 'usage-error') {
    process.stderr.write(usageErrorText(plan.message));
    process.exitCode = 2;
    return;
  }
  const { config } = plan;
  const logger = stderrLogger(config.logLevel, config.logFormat ?? defaultLogFormat(process.stderr.isTTY === true), { node: config.node });
  // Handlers first: a signal during startup (a long log replay, dialing the
  // cluster) must stop what has started, release the data directory and exit 0.
  const running: Running = {};
  let startup: Promise<void> = Promise.resolve();
  const signals = stopOnSignals(logger, async () => {
    await startup;
    await stopRunning(running);
  });
  logger.info({}, plan.storage);
  startup = start(plan, logger, running, signals);
  await startup;
}

/** `actor-kv tree`: prints the tree a node's observer or text server gives. */
async function tree(argv: string[]): Promise<void> {
  const target = treeTarget(argv, process.env);
  if ('help' in target) return void process.stdout.write(treeUsage);
  if ('error' in target) {
    process.stderr.write(`actor-kv: ${target.error}\ntry 'actor-kv tree --help'\n`);
    process.exitCode = 2;
    return;
  }
  const failure = await printTree(target, (text) => process.stdout.write(text));
  if (failure) {
    process.stderr.write(`actor-kv: ${failure}\n`);
    process.exitCode = 1;
  }
}

/** What has started so far, so that a shutdown at any moment stops exactly that. */
interface Running {
  store?: Store;
  server?: KvServer;
  observer?: Observer;
}

type RunPlan = Extract<Plan, { kind: 'run' }>;

/**
 * Starts the observer (if asked: it answers 503 until the store is up), the
 * store, then the server, unless a signal came first; a failure ends the
 * process (exit 1).
 */
async function start(plan: RunPlan, logger: Logger, running: Running, signals: { stopping: boolean }): Promise<void> {
  const metrics = plan.observer && new Registry();
  const store = deferred<Store>();
  store.promise.catch(() => {}); // the observer only waits on it; the failure is reported by start()
  try {
    if (plan.observer) {
      running.observer = await startObserver(store.promise, { ...plan.observer, logger, metrics });
      process.stdout.write(`Observer on ${running.observer.url}\n`);
    }
    running.store = await createStore({ ...plan.store, logger, ...(metrics ? { metrics } : {}) });
    store.resolve(running.store);
    if (signals.stopping) return;
    const clusterAddress = running.store.clusterStatus()?.address;
    if (clusterAddress) process.stdout.write(`Cluster node ${running.store.node} accepting peers on port ${clusterAddress.port}\n`);
    running.server = await startServer(running.store, { ...plan.server, logger, ...(metrics ? { metrics } : {}) });
  } catch (error) {
    store.reject(error as Error);
    return cannotStart(error, logger, running);
  }
  if (signals.stopping) return;
  // The guide's words, on stdout, with the bound port: scripts and tests wait for this line.
  process.stdout.write(`Accepting connections on port ${running.server.port}\n`);
  if (running.server.resp) process.stdout.write(`Accepting Redis clients on port ${running.server.resp.port}\n`);
  logger.info({ host: running.server.host, port: running.server.port, ...(running.server.resp ? { respPort: running.server.resp.port } : {}) }, 'accepting connections');
}

/**
 * A port in use, a locked or damaged data directory, Redis out of reach: one
 * plain line whatever the log level, and no log line that repeats it (at
 * debug, one with the code and the system error behind it); then exit 1.
 */
async function cannotStart(error: unknown, logger: Logger, running: Running): Promise<void> {
  process.stderr.write(startFailureText(error));
  logger.debug(startFailureDetails(error), 'startup failed');
  await stopRunning(running).catch(() => {});
  process.exit(1);
}

/** Stops what has started, server first (the observer's /healthz says 503 meanwhile, and it closes last), and forgets it. */
async function stopRunning(running: Running): Promise<void> {
  const { server, store, observer } = running;
  running.server = undefined;
  running.store = undefined;
  running.observer = undefined;
  observer?.markStopping();
  await server?.close();
  await store?.stop();
  await observer?.close();
}

/**
 * The first SIGINT/SIGTERM stops cleanly (exit 0); a second one, or the
 * deadline, forces exit 1. `stopping` tells startup to go no further.
 */
function stopOnSignals(logger: Logger, stopAll: () => Promise<void>): { stopping: boolean } {
  const state = { stopping: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.stopping) {
      logger.warn({ signal }, 'forced exit');
      process.exit(1);
    }
    state.stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: shutdownDeadlineMs }, 'shutdown took too long; forcing exit');
      process.exit(1);
    }, shutdownDeadlineMs);
    stopAll().then(
      () => {
        clearTimeout(deadline);
        logger.info({}, 'stopped');
        process.exit(process.exitCode ?? 0);
      },
      (error: unknown) => {
        logger.error({ error: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}

main().catch((error: unknown) => {
  process.stderr.write(`actor-kv: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
