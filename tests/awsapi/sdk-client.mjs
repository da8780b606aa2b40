// Copyright 2026 The iotunnel developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A client of iotunnel-service's AWS API written with the AWS SDK for
// JavaScript v3, as a user's script would be: it opens a tunnel, describes
// it, lists tunnels a page at a time, then tries a wrong secret. It prints
// one JSON object with what it saw; iot-awsapi-sdk-test.c checks it and
// gives the tokens to two iotunneld.
//
// Usage: node sdk-client.mjs ENDPOINT_URL CA_FILE REGION
// The access key comes from IOTUNNEL_TEST_ACCESS_KEY_ID, IOTUNNEL_TEST_SECRET
// and IOTUNNEL_TEST_WRONG_SECRET, not the command line.

import {
  DescribeTunnelCommand,
  IoTSecureTunnelingClient,
  ListTunnelsCommand,
  OpenTunnelCommand,
  paginateListTunnels,
} from "@aws-sdk/client-iotsecuretunneling";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";

const [endpoint, caFile, region] = process.argv.slice(2);
// trust the service's own CA, and nothing else
const httpsAgent = new Agent({ ca: readFileSync(caFile) });

function makeClient(secretAccessKey) {
  return new IoTSecureTunnelingClient({
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.IOTUNNEL_TEST_ACCESS_KEY_ID,
      secretAccessKey,
    },
    requestHandler: new NodeHttpHandler({ httpsAgent }),
    maxAttempts: 1,
  });
}

const client = makeClient(process.env.IOTUNNEL_TEST_SECRET);

const opened = await client.send(
  new OpenTunnelCommand({
    description: "opened with the AWS SDK for JavaScript",
    destinationConfig: { thingName: "js-device", services: ["SSH1"] },
    timeoutConfig: { maxLifetimeTimeoutMinutes: 10 },
    tags: [{ key: "sdk", value: "javascript" }],
  }),
);

const { tunnel } = await client.send(
  new DescribeTunnelCommand({ tunnelId: opened.tunnelId }),
);

const listed = [];
for await (const page of paginateListTunnels({ client, pageSize: 1 }, {})) {
  listed.push(...page.tunnelSummaries.map((summary) => summary.tunnelId));
}

let refused = null;
try {
  await makeClient(process.env.IOTUNNEL_TEST_WRONG_SECRET).send(
    new ListTunnelsCommand({}),
  );
} catch (error) {
  refused = { name: error.name, httpStatusCode: error.$metadata?.httpStatusCode };
}

process.stdout.write(
  JSON.stringify({
    tunnelId: opened.tunnelId,
    tunnelArn: opened.tunnelArn,
    sourceAccessToken: opened.sourceAccessToken,
    destinationAccessToken: opened.destinationAccessToken,
    described: {
      status: tunnel.status,
      description: tunnel.description,
      thingName: tunnel.destinationConfig.thingName,
      services: tunnel.destinationConfig.services,
      maxLifetimeTimeoutMinutes: tunnel.timeoutConfig.maxLifetimeTimeoutMinutes,
      tags: tunnel.tags,
      // Date objects: the SDK parsed the epoch seconds
      createdAt: tunnel.createdAt.toISOString(),
      lastUpdatedAt: tunnel.lastUpdatedAt.toISOString(),
      source: tunnel.sourceConnectionState.status,
      destination: tunnel.destinationConnectionState.status,
    },
    listed,
    refused,
  }) + "\n",
);
