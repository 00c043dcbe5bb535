// Validates AsyncAPI documents with the reference parser (@asyncapi/parser: the AsyncAPI JSON Schemas
// plus its Spectral rules), offline. Prints every diagnostic; exit 1 if any is an error.
//   node deploy/validators/asyncapi.mjs docs/asyncapi.yaml
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
  for (const d of diagnostics) {
    const level = Object.keys(DiagnosticSeverity).find((k) => DiagnosticSeverity[k] === d.severity);
    console.log(`${path}: ${level} ${d.code} at ${d.path.join(".") || "/"}: ${d.message}`);
  }
  if (!document || diagnostics.some((d) => d.severity === DiagnosticSeverity.Error)) failed = true;
}
process.exit(failed ? 1 : 0);
