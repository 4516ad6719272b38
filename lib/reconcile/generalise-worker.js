"use strict";
/*
 * A worker thread of the generalisation reports (runTasks in generalise-tasks.ts): registers tsx so the
 * TypeScript library loads without a build step, says it is ready, then runs each task it is sent
 * (a refit without a held-out group, or one row's prediction) and sends back its result.
 */
const { register } = require("tsx/cjs/api");
register();
const { parentPort } = require("worker_threads");
const { runTask } = require("./generalise-tasks.ts");

parentPort.postMessage({ ready: true });
parentPort.on("message", (task) => parentPort.postMessage(runTask(task)));
