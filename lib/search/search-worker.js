"use strict";
/*
 * A worker thread of `mantile search` (TaskPool in threads.ts): registers tsx so the TypeScript library
 * loads without a build step (as bin/mantile.js and lib/reconcile/predict-worker.js do), loads the model
 * and hardware once, says it is ready, then runs each task it is sent and sends back its result. A task
 * that throws comes back as its error message (flagged when it is an input error).
 */
const { register } = require("tsx/cjs/api");
register();
const { parentPort, workerData } = require("worker_threads");
const { requestContext, runTask } = require("./tasks.ts");
const { InputError } = require("../core/validate.ts");

const ctx = requestContext(workerData);
parentPort.postMessage({ ready: true });
parentPort.on("message", (task) => {
  try {
    parentPort.postMessage(runTask(task, ctx, workerData.slo));
  } catch (e) {
    parentPort.postMessage({ failed: String((e && e.message) || e), input: e instanceof InputError, index: task.index });
  }
});
