"use strict";
/*
 * A worker thread of `mantile predict --jobs N` (RowPool in predict-rows.ts): registers tsx so that the
 * TypeScript library loads without a build step (as bin/mantile.js does), says it is ready, then predicts
 * each row it is sent and sends back the row's output line.
 */
const { register } = require("tsx/cjs/api");
register();
const { parentPort, workerData } = require("worker_threads");
const { localPredictor } = require("./predict-rows.ts");

const predict = localPredictor(workerData);
parentPort.postMessage({ ready: true });
parentPort.on("message", (task) => parentPort.postMessage(predict(task)));
