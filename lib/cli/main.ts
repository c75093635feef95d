#!/usr/bin/env node
// The actor-kv command (the guide's kv_server application): reads its
// configuration, starts the store and the text server, and shuts down cleanly.

import { clusterOptionsFrom } from './cluster-config';
import { loadConfig, storageFor, usage, type Config } from './config';
import { stderrLogger } from './log';
import type { Logger, StoreOptions } from '../options';
import { startServer, type KvServer } from '../server/server';
import { createStore, type Store } from '../store';

/** How long a clean shutdown may take before the process exits anyway. */
const shutdownDeadlineMs = 10_000;

async function main(): Promise<void> {
  const loaded = loadConfig(process.argv.slice(2), process.env);
  if (loaded.kind === 'help') return void process.stdout.write(usage());
  if (loaded.kind === 'error') {
    process.stderr.write(`actor-kv: ${loaded.message}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const { config } = loaded;
  const clustering = clusterOptionsFrom(config);
  const storage = storageFor(config);
  if ('error' in clustering || 'error' in storage) {
    const message = 'error' in clustering ? clustering.error : 'error' in storage ? storage.error : '';
    process.stderr.write(`actor-kv: ${message}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const logger = stderrLogger(config.logLevel, { node: config.node });
  // Handlers first: a signal during startup (a long log replay, dialing the
  // cluster) must stop what has started, release the data directory and exit 0.
  const running: Running = {};
  let startup: Promise<void> = Promise.resolve();
  const signals = stopOnSignals(logger, async () => {
    await startup;
    await stopRunning(running);
  });
  const storeOptions = { node: config.node, logger, cluster: clustering.cluster, storage: storage.storage };
  startup = start(config, storeOptions, logger, running, signals);
  await startup;
}

/** What has started so far, so that a shutdown at any moment stops exactly that. */
interface Running {
  store?: Store;
  server?: KvServer;
}

/** Starts the store, then the server, unless a signal came first; failures set exit code 1. Never rejects. */
async function start(config: Config, storeOptions: StoreOptions, logger: Logger, running: Running, signals: { stopping: boolean }): Promise<void> {
  try {
    running.store = await createStore(storeOptions);
  } catch (error) {
    // A damaged log or a data directory in use: say so plainly, without a stack.
    logger.error({ error: (error as Error).message }, 'cannot start');
    process.stderr.write(`actor-kv: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (signals.stopping) return;
  const clusterAddress = running.store.clusterStatus()?.address;
  if (clusterAddress) process.stdout.write(`Cluster node ${running.store.node} accepting peers on port ${clusterAddress.port}\n`);
  try {
    running.server = await startServer(running.store, serverOptions(config, logger));
  } catch (error) {
    logger.error({ error: (error as Error).message }, 'cannot start');
    await stopRunning(running);
    process.exitCode = 1;
    return;
  }
  if (signals.stopping) return;
  // The guide's words, on stdout, with the bound port: scripts and tests wait for this line.
  process.stdout.write(`Accepting connections on port ${running.server.port}\n`);
  logger.info({ host: running.server.host, port: running.server.port }, 'accepting connections');
}

function serverOptions(config: Config, logger: Logger) {
  const { port, host, maxLineBytes, maxConnections, idleTimeoutMs } = config;
  return { port, host, maxLineBytes, maxConnections, idleTimeoutMs, logger };
}

/** Stops what has started, server first, and forgets it. */
async function stopRunning(running: Running): Promise<void> {
  const { server, store } = running;
  running.server = undefined;
  running.store = undefined;
  await server?.close();
  await store?.stop();
}

/**
 * The first SIGINT/SIGTERM stops cleanly (exit 0, or the startup failure's 1);
 * a second one, or the deadline, forces exit 1. `stopping` tells startup to go no further.
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
