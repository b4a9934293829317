/**
 * Module hooks for the startup scenario's counting run (startup-worker.ts): they run on Node's
 * hooks thread and post the URL of every module the worker loads, in load order, to the worker.
 */
import type { MessagePort } from 'node:worker_threads';

let port: MessagePort | undefined;

export function initialize(data: { readonly port: MessagePort }): void {
  port = data.port;
}

type Load = (url: string, context: object) => Promise<object>;

export async function load(url: string, context: object, next: Load): Promise<object> {
  port?.postMessage(url);
  return next(url, context);
}
