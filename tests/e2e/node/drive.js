// Drives the providers' official Node.js SDKs against the emulator for tests/e2e/test_node_sdks.py.
// Usage: node drive.js '<job JSON>'. The job: {"endpoint": "127.0.0.1:PORT", "steps": [...]}; each step
// names its SDK, signing mode, action and parameters. Prints one JSON line: the result of every step, in
// order ({"ok": response} or {"error": {"code", "message"}}). Only the endpoint/host points the SDKs here.
"use strict";

// As the SDK's docs (tencentcloud.live.v20180801.Client), loading only the live service.
const LiveClient = require("tencentcloud-sdk-nodejs/tencentcloud/services/live").live.v20180801.Client;
const { Service, Signer } = require("@volcengine/openapi");

async function tencent(endpoint, step) {
  const client = new LiveClient({
    credential: { secretId: step.secretId, secretKey: step.secretKey },
    region: "ap-guangzhou",
    profile: {
      signMethod: step.signMethod,
      httpProfile: { endpoint, protocol: "http://", reqMethod: step.method },
    },
  });
  try {
    return { ok: await client[step.action](step.params) };
  } catch (error) {
    return { error: { code: error.code, message: error.message } };
  }
}

function volcengineOptions(endpoint, step) {
  return {
    host: endpoint,
    protocol: "http:",
    region: "cn-north-1",
    serviceName: "live",
    defaultVersion: "2023-01-01",
    accessKeyId: step.accessKeyId,
    secretKey: step.secretKey,
  };
}

async function volcengine(endpoint, step) {
  if (step.mode === "header") {
    const service = new Service(volcengineOptions(endpoint, step));
    return { ok: await service.createJSONAPI(step.action)(step.body) };
  }
  // Query-string signing: the SDK's Signer makes the presigned URL; the body is POSTed to it unsigned.
  const request = {
    method: "POST",
    region: "cn-north-1",
    pathname: "/",
    params: { Action: step.action, Version: "2023-01-01" },
  };
  const query = new Signer(request, "live").getSignUrl({
    accessKeyId: step.accessKeyId,
    secretKey: step.secretKey,
  });
  const response = await fetch(`http://${endpoint}/?${query}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(step.body),
  });
  return { ok: await response.json(), status: response.status };
}

async function main() {
  const job = JSON.parse(process.argv[2]);
  const results = [];
  for (const step of job.steps) {
    const run = step.sdk === "tencent" ? tencent : volcengine;
    results.push(await run(job.endpoint, step));
  }
  process.stdout.write(JSON.stringify(results) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
