// Jest set-up of the `worker` project: every client a test makes without naming a handler runs
// its connection loop in a worker thread, so the integration suite runs once per handler.
import { WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { ZooKeeperClient } from '../../lib/client/client.js';

ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler();
