// Registers a penalty and reads it back through a client made from the OpenAPI document.
// Usage: node client.mjs BASE_URL TOKEN USCC NAME
// openapi-typescript has generated schema.d.ts from the same document (the paths and operations below are checked
// against it by the Go test); openapi-fetch makes the calls by path and method as the document declares them.
import createClient from "openapi-fetch";

const [base, token, uscc, name] = process.argv.slice(2);
const client = createClient({ baseUrl: base, headers: { Authorization: `Bearer ${token}` } });

const created = await client.POST("/api/v1/penalties", {
  body: {
    decision_no: "镇环罚〔2026〕99号", uscc, enterprise_name: name, decided_on: "2026-05-20",
    penalty_types: ["fine"], fine_amount_yuan: "50000.00", facts: "超标排放大气污染物",
    legal_basis: "《大气污染防治法》第九十九条",
  },
  headers: { "Idempotency-Key": "openapi-client-1" },
});
if (created.error || created.response.status !== 201) {
  console.error("register failed", created.response.status, JSON.stringify(created.error));
  process.exit(1);
}
const read = await client.GET("/api/v1/penalties/{id}", { params: { path: { id: String(created.data.id) } } });
if (read.error) {
  console.error("read failed", read.response.status, JSON.stringify(read.error));
  process.exit(1);
}
const bad = await client.POST("/api/v1/penalties", { body: { decision_no: "" } });
console.log(JSON.stringify({ created: created.data, read: read.data, badStatus: bad.response.status, badCode: bad.error?.error?.code }));
