// Compiles JSON Schemas with ajv in strict mode, as a strict MCP client would.
//
// stdin: a JSON array of {"name": "...", "schema": {...}}.
// stdout: one line per problem; exit status 0 only when there is none, not
// even a warning. `tests/strict.rs` feeds it every first-party tool schema.
//
// Setup: `npm ci --prefix plugins/schema-check` (ajv and ajv-formats, pinned in
// package-lock.json).

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

// The formats the JSON Schema 2020-12 validation vocabulary defines
// (https://json-schema.org/draft/2020-12/json-schema-validation#section-7.3).
// ajv-formats also knows OpenAPI's `int32`, `int64`, `float`, `double`, `byte`,
// `binary`, `password` and its own `url`, `iso-time`, `iso-date-time`,
// `json-pointer-uri-fragment`: none of them is registered here, so a schema
// using one fails the check.
const VALIDATED = [
  "date-time", "date", "time", "duration",
  "email", "hostname", "ipv4", "ipv6",
  "uri", "uri-reference", "uuid", "uri-template",
  "json-pointer", "relative-json-pointer", "regex",
];
// Standard too, but ajv-formats has no validator for them: known, not checked.
const ANNOTATED = ["idn-email", "idn-hostname", "iri", "iri-reference"];

// The project's own annotation keywords (`x-skill-*`, read by the host, see
// host/service/src/schema.rs, files.rs and parallel.rs). 2020-12 lets a schema
// carry keywords it does not define; ajv's strict mode refuses any keyword it
// was not told about, so each is declared here with the shape it must have.
// A new one must be added here, on purpose.
const KEYWORDS = [
  { keyword: "x-skill-input-file", metaSchema: { const: true } },
  { keyword: "x-skill-output-files", metaSchema: { const: true } },
  { keyword: "x-skill-default", metaSchema: { enum: ["today"] } },
  {
    keyword: "x-skill-parallel",
    metaSchema: {
      type: "object",
      properties: {
        split: { type: "string" },
        map: { type: "string" },
        merge: { type: "string" },
      },
      required: ["split", "map", "merge"],
      additionalProperties: false,
    },
  },
];

function read(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
  });
}

const problems = [];
let current = "";
// Whatever ajv would print (strict-mode notices in "log" mode, unknown
// formats, ignored keywords) is a problem here.
const logger = {
  log: (...args) => problems.push(`${current}: log: ${args.join(" ")}`),
  warn: (...args) => problems.push(`${current}: warning: ${args.join(" ")}`),
  error: (...args) => problems.push(`${current}: error: ${args.join(" ")}`),
};

function compiler() {
  const ajv = new Ajv2020({ strict: true, allErrors: true, logger });
  addFormats(ajv, { formats: VALIDATED, keywords: false });
  for (const name of ANNOTATED) ajv.addFormat(name, true);
  for (const keyword of KEYWORDS) ajv.addKeyword(keyword);
  return ajv;
}

const entries = JSON.parse(await read(process.stdin));
if (!Array.isArray(entries) || entries.length === 0) {
  console.log("no schemas on stdin");
  process.exit(2);
}
for (const { name, schema } of entries) {
  current = name;
  try {
    // A fresh instance for each schema, so that no `$id` or state carries over.
    compiler().compile(schema);
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
}
for (const problem of problems) console.log(problem);
console.log(`${entries.length} schemas, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
