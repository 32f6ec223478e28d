/**
 * npm run demo: the workflows of the product docs, with both clients. Without PAYI_API_KEY it
 * starts the bundled mock and talks to it; `--live` (with a key) targets the real service.
 */
import { parseArgs } from "node:util";
import {
  AsyncPayi,
  NotFoundError,
  Payi,
  PayiError,
  PayiValidationError,
  type CategoryResourceResponse,
} from "../src/index.js";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { instrument, track } from "../src/instrument/index.js";
import { startDemoProviders } from "./demo-providers.js";
import { startMock } from "./prism.js";

const { values } = parseArgs({ options: { live: { type: "boolean" } } });
const live = Boolean(values.live);
if (live && !process.env.PAYI_API_KEY) {
  console.error("--live needs PAYI_API_KEY in the environment.");
  process.exit(2);
}
const mock = live ? undefined : await startMock();
const options = live ? {} : { apiKey: "demo-key", baseURL: mock!.url };
const step = (title: string) => console.log(`\n== ${title}`);

try {
  console.log(
    live ? "Talking to the Pay-i service." : `No --live: talking to the bundled mock of the API at ${mock!.url}.`,
  );
  const client = new AsyncPayi(options);
  const sync = new Payi(options);

  step("Discovering categories and a resource's prices (AsyncPayi)");
  for await (const c of client.categories.list()) console.log(`  category ${c.category}`);
  let gpt4o: CategoryResourceResponse | undefined;
  for await (const r of client.categories.listResources({ category: "system.openai" })) {
    console.log(`  resource ${r.resource}`);
    if (r.resource === "gpt-4o") gpt4o = r;
  }
  if (gpt4o) {
    console.log(
      `  gpt-4o: input $${gpt4o.units.text.input_price} / output $${gpt4o.units.text.output_price} per token, up to ${gpt4o.max_input_units} input tokens`,
    );
  }

  step("Creating a custom resource (Payi, synchronous)");
  const qdrant = sync.categories.resources.create({
    category: "vector-db",
    resource: "qdrant-embeddings",
    units: { text: { input_price: 0.0000025, output_price: 0 } },
    max_input_units: 10000,
    max_output_units: 0,
    start_timestamp: new Date(),
  });
  console.log(`  created ${qdrant.category}/${qdrant.resource} as ${qdrant.resource_id}`);

  step("Enterprise-negotiated prices, valid from 2024 for backfills (Payi)");
  for (const [resource, input_price, output_price] of [
    ["gpt-4-enterprise", 0.000005, 0.000015],
    ["text-embeddings", 0.000001, 0],
    ["rag-completion-model", 0.000006, 0.000012],
  ] as const) {
    const r = sync.categories.resources.create({
      category: "enterprise-openai",
      resource,
      units: { text: { input_price, output_price } },
      max_input_units: 128000,
      start_timestamp: "2024-01-01T00:00:00Z",
    });
    console.log(
      `  ${resource}: $${input_price} in / $${output_price} out per token from 2024-01-01 (answered ${r.resource_id}, valid from ${r.start_timestamp})`,
    );
  }

  step("Tracking a RAG pipeline's three calls (AsyncPayi, in parallel)");
  const query = "What are the key features of quantum computing?";
  const context = [
    "Qubits can exist in several states at once.",
    "Entanglement correlates qubits.",
    "Interference amplifies right answers.",
  ];
  const answer =
    "Qubits, superposition, entanglement and interference let quantum computers solve some problems much faster.";
  const tokens = (s: string) => Math.ceil(s.length / 4);
  const calls = await Promise.all([
    client.ingest.units({
      category: "company-ai-stack",
      resource: "text-embeddings",
      units: { text: { input: tokens(query), output: 0 } },
      user_id: "user_12345",
    }),
    client.ingest.units({
      category: "company-ai-stack",
      resource: "vector-search",
      units: { text: { input: tokens(query), output: 0 } },
      user_id: "user_12345",
    }),
    client.ingest.units({
      category: "company-ai-stack",
      resource: "rag-completion-model",
      units: { text: { input: tokens(query) + context.reduce((n, c) => n + tokens(c), 0), output: tokens(answer) } },
      user_id: "user_12345",
      limit_ids: ["monthly-budget"],
    }),
  ]);
  for (const c of calls)
    console.log(
      `  request ${c.request_id}: $${c.xproxy_result.cost?.total?.base ?? "?"}, limits ${JSON.stringify(c.xproxy_result.limits ?? {})}`,
    );

  step("Instrumented OpenAI and Anthropic clients (payi/instrument), against a local stand-in for both");
  const providers = await startDemoProviders();
  try {
    const pi = instrument(client, {
      mode: "direct",
      context: { use_case_name: "travel-assistant" },
      onError: (e) => console.log(`  instrumentation: ${e.message}`),
    });
    const openai = pi.openai(new OpenAI({ apiKey: "demo", baseURL: `${providers.url}/v1` }));
    const anthropic = pi.anthropic(new Anthropic({ apiKey: "demo", baseURL: providers.url }));
    await track({ user_id: "user_12345", limit_ids: ["monthly-budget"] }, async () => {
      const chat = await openai.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Capital of France?" }],
      });
      const cost = await pi.result(chat);
      console.log(`  openai chat ${chat.id}: tracked as request ${cost.request_id}, $${cost.cost?.total?.base ?? "?"}`);
      let text = "";
      for await (const c of await openai.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Again?" }],
        stream: true,
      }))
        text += c.choices[0]?.delta.content ?? "";
      console.log(`  openai stream: "${text}" (usage asked for behind the scenes; the caller saw no extra chunk)`);
      const msg = await anthropic.messages.create({
        model: "claude-opus-4-7",
        max_tokens: 50,
        messages: [{ role: "user", content: "Capital of France?" }],
      });
      console.log(`  anthropic message ${msg.id}: tracked as request ${(await pi.result(msg)).request_id}`);
    });
    await pi.shutdown();
  } finally {
    await providers.stop();
  }

  step("Listing limits page by page, then all at once");
  let page = await client.limits.list({ limit: 20 });
  for (let n = 1; ; n++) {
    console.log(
      `  page ${n}: ${page.items.map((l) => `${l.limit_name} (${l.totals.cost.total.base} of ${l.max})`).join(", ")}`,
    );
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  const all = [];
  for await (const l of client.limits.list()) all.push(l.limit_name);
  console.log(`  all: ${all.join(", ")}`);
  const syncNames = [...sync.limits.list()].map((l) => l.limit_name);
  console.log(`  the same through Payi: ${syncNames.join(", ")}`);

  step("A raw response");
  const raw = await client.withRawResponse.ingest.units({
    category: "system.openai",
    resource: "gpt-4o",
    units: { text: { input: 10, output: 50 } },
  });
  console.log(
    `  HTTP ${raw.status}, content-type ${raw.headers.get("content-type")}, request ${(await raw.parse()).request_id}`,
  );

  step("Errors, handled by class");
  try {
    await client.ingest.units({ category: "system.openai", units: { text: { input: "ten" as unknown as number } } });
  } catch (e) {
    if (e instanceof PayiValidationError)
      console.log(`  refused before sending: ${e.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    else throw e;
  }
  try {
    await client.ingest.units(
      {
        category: "system.openai",
        resource: "gpt-4o",
        units: { text: { input: 10 } },
        event_timestamp: "2023-06-01T00:00:00Z",
      },
      live ? {} : { headers: { Prefer: "code=404" } },
    );
  } catch (e) {
    if (e instanceof NotFoundError) console.log(`  NotFoundError ${e.status} (${e.code}): ${e.message}`);
    else throw e;
  }

  step("Deleting resources (soft delete: history stays valid)");
  for (const model of ["old-model-v1", "deprecated-embedding-model"]) {
    try {
      const removed = await client.categories.deleteResource({ category: "my-custom-models", resource: model });
      console.log(`  removed ${model} (${removed.length} version(s))`);
    } catch (e) {
      console.log(`  could not remove ${model}: ${e instanceof PayiError ? e.message : String(e)}`);
    }
  }
  const gone = sync.categories.delete({ category: "my-custom-models" });
  console.log(`  deleted category my-custom-models and its ${gone.length} resource(s)`);
  console.log("\nDone.");
} finally {
  await mock?.stop();
}
