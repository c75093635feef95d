#!/usr/bin/env node
// The actor-kv command (the guide's kv_server application): reads its
// configuration, starts the store and the text server, and shuts down cleanly.

import { clusterOptionsFrom } from './cluster-config';
import { loadConfig, storageFor, usage, type Config } from './config';
import { stderrLogger } from './log';
import type { Logger } from './options';
import { startServer, type KvServer } from './server/server';
import { createStore, type Store } from './store';

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
  let store: Store;
  try {
    store = await createStore({ node: config.node, logger, cluster: clustering.cluster, storage: storage.storage });
  } catch (error) {
    // A damaged log or a data directory in use: say so plainly, without a stack.
    logger.error('cannot start', { error: (error as Error).message });
    process.stderr.write(`actor-kv: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const clusterAddress = store.clusterStatus()?.address;
  if (clusterAddress) process.stdout.write(`Cluster node ${store.node} accepting peers on port ${clusterAddress.port}\n`);
  let server: KvServer;
  try {
    server = await startServer(store, serverOptions(config, logger));
  } catch (error) {
    logger.error('cannot start', { error: (error as Error).message });
    await store.stop();
    process.exitCode = 1;
    return;
  }
  // Before the line below: whoever reads it may signal at once.
  stopOnSignals(logger, () => stop(server, store));
  // The guide's words, on stdout, with the bound port: scripts and tests wait for this line.
  process.stdout.write(`Accepting connections on port ${server.port}\n`);
  logger.info('accepting connections', { host: server.host, port: server.port });
}

function serverOptions(config: Config, logger: Logger) {
  const { port, host, maxLineBytes, maxConnections, idleTimeoutMs } = config;
  return { port, host, maxLineBytes, maxConnections, idleTimeoutMs, logger };
}

async function stop(server: KvServer, store: Store): Promise<void> {
  await server.close();
  await store.stop();
}

/** The first SIGINT/SIGTERM stops cleanly (exit 0); a second one, or the deadline, forces exit 1. */
function stopOnSignals(logger: Logger, stopAll: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('forced exit', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; forcing exit', { deadlineMs: shutdownDeadlineMs });
      process.exit(1);
    }, shutdownDeadlineMs);
    stopAll().then(
      () => {
        clearTimeout(deadline);
        logger.info('stopped', {});
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((error: unknown) => {
  process.stderr.write(`actor-kv: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
