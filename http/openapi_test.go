package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

func openAPIDoc(t *testing.T, e *testEnv) []byte {
	resp := e.do("GET", "/api/openapi.json", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return raw
}

// The document is valid OpenAPI 3.1, lists every mounted API route with its success answer and the error model
// for its error statuses, and real answers of the server match the schemas generated from the handlers' types.
func TestOpenAPIDocumentValidatesAndCoversEveryRoute(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	raw := openAPIDoc(t, e)
	doc, err := libopenapi.NewDocument(raw)
	require.NoError(t, err)
	ok, errs := schema_validation.ValidateOpenAPIDocument(doc)
	for _, ve := range errs {
		t.Errorf("invalid document: %s: %s", ve.Message, ve.Reason)
		for _, se := range ve.SchemaValidationErrors {
			t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
		}
	}
	require.True(t, ok)

	var d struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	assert.Equal(t, "3.1.0", d.OpenAPI)
	assert.Contains(t, d.Components.SecuritySchemes, "bearer")
	assert.Contains(t, d.Components.SecuritySchemes, "session")
	assert.Contains(t, d.Components.SecuritySchemes, "csrf")
	for _, r := range e.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, apiPrefix+"/") || strings.Contains(r.Path, "*") || r.Method == "HEAD" {
			continue
		}
		p := pathParam.ReplaceAllString(r.Path, "{$1}")
		op, ok := d.Paths[p][strings.ToLower(r.Method)]
		if !assert.True(t, ok, "%s %s is mounted but not in the document", r.Method, p) {
			continue
		}
		responses := op["responses"].(map[string]any)
		assert.Contains(t, responses, "500", p)
		if r.Method != "GET" {
			assert.Contains(t, responses, "422", p)
		}
		// Every route declares its answer: a schema of its success status, or a 204 without content.
		shape, shaped := apiShapes[r.Method+" "+r.Path]
		if !assert.True(t, shaped, "%s %s has no apiShapes entry", r.Method, r.Path) {
			continue
		}
		var success map[string]any
		for code, resp := range responses {
			if code[0] == '2' {
				success = resp.(map[string]any)
			}
		}
		if assert.NotNil(t, success, "%s %s: success answer", r.Method, p) && shape.Status != 204 {
			content, _ := success["content"].(map[string]any)
			assert.Len(t, content, 1, "%s %s: one media type of its answer", r.Method, p)
			for mt, c := range content {
				sc, _ := c.(map[string]any)["schema"].(map[string]any)
				if mt == "application/json" {
					assert.True(t, sc["$ref"] != nil || sc["properties"] != nil || sc["items"] != nil,
						"%s %s answers a described JSON schema, not a bare object: %v", r.Method, p, sc)
				} else {
					assert.Equal(t, "string", sc["type"], "%s %s answers a file", r.Method, p)
				}
			}
		}
		// Every route that changes something declares its body, or that it reads none.
		if r.Method == "GET" || r.Method == "DELETE" {
			continue
		}
		body, hasBody := op["requestBody"].(map[string]any)
		if shape.NoBody {
			assert.False(t, hasBody, "%s %s reads no body", r.Method, p)
			continue
		}
		if assert.True(t, hasBody, "%s %s: its request body is declared (Req, ReqMedia or NoBody)", r.Method, p) {
			for mt, c := range body["content"].(map[string]any) {
				sc, _ := c.(map[string]any)["schema"].(map[string]any)
				if mt == "application/json" {
					assert.NotNil(t, sc["$ref"], "%s %s: the body is a named Go type", r.Method, p)
				}
			}
		}
	}

	// Real answers match the document.
	v, verrs := validator.NewValidator(doc)
	require.Empty(t, verrs)
	a := storage.DemoEnterprises[1]
	token := e.token("sthjj")
	check := func(method, path string, body any, wantStatus int) map[string]any {
		var reqBody io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			reqBody = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "http://localhost"+path, reqBody)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp := e.do(method, path, token, body)
		raw, _ := io.ReadAll(resp.Body)
		require.Equal(t, wantStatus, resp.StatusCode, string(raw))
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		ok, rerrs := v.ValidateHttpResponse(req, resp)
		for _, re := range rerrs {
			t.Errorf("%s %s: %s: %s", method, path, re.Message, re.Reason)
			for _, se := range re.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
			}
		}
		assert.True(t, ok, "%s %s answer matches the document", method, path)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return m
	}
	p := check("POST", "/api/v1/penalties", generalFine("镇环罚〔2026〕15号", a.USCC, a.Name), 201)
	id := strings.TrimSuffix(strings.TrimPrefix(jsonNumber(p["id"]), ""), ".0")
	check("GET", "/api/v1/penalties/"+id, nil, 200)
	check("GET", "/api/v1/penalties", nil, 200)
	check("POST", "/api/v1/penalties", map[string]any{"decision_no": ""}, 422)
	check("GET", "/api/v1/penalties/999999", nil, 404)
	check("GET", "/api/v1/stats?from=2026-01&to=2026-03", nil, 200)
	check("GET", "/api/v1/me", nil, 200)
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A client generated from the document by npm packages (openapi-typescript for the types, openapi-fetch for the
// calls) registers a penalty and reads it back from a running server.
func TestOpenAPIGeneratedClientRegistersAndReadsAPenalty(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed: the generated-client test needs Node.js and npm")
	}
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	dir := filepath.Join(cache, "xinyong", "openapi-client")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"package.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "openapi-client", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openapi-fetch", "package.json")); err != nil {
		probe := exec.CommandContext(ctx, npm, "view", "openapi-fetch@0.17.0", "version")
		if out, err := probe.CombinedOutput(); err != nil {
			t.Skipf("the npm registry is unreachable, so the client generator cannot be installed: %v %s", err, out)
		}
		install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir)
		install.Dir = dir
		out, err := install.CombinedOutput()
		require.NoError(t, err, "npm install: %s", out)
	}

	e, _ := newPenaltyEnv(t)
	base := e.serve()
	gen := exec.CommandContext(ctx, filepath.Join(dir, "node_modules", ".bin", "openapi-typescript"), base+"/api/openapi.json", "-o", filepath.Join(dir, "schema.d.ts"))
	gen.Dir = dir
	out, err := gen.CombinedOutput()
	require.NoError(t, err, "openapi-typescript: %s", out)
	types, err := os.ReadFile(filepath.Join(dir, "schema.d.ts"))
	require.NoError(t, err)
	for _, want := range []string{`"/api/v1/penalties": {`, `"/api/v1/penalties/{id}": {`, "decision_no", "penaltyJSON", "201: {"} {
		assert.Contains(t, string(types), want, "the generated types")
	}

	a := storage.DemoEnterprises[1]
	run := exec.CommandContext(ctx, "node", "client.mjs", base, e.token("sthjj"), a.USCC, a.Name)
	run.Dir = dir
	out, err = run.Output()
	require.NoError(t, err, "client: %s", out)
	var res struct {
		Created   map[string]any `json:"created"`
		Read      map[string]any `json:"read"`
		BadStatus int            `json:"badStatus"`
		BadCode   string         `json:"badCode"`
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	assert.Equal(t, "镇环罚〔2026〕99号", res.Read["decision_no"])
	assert.Equal(t, res.Created["id"], res.Read["id"])
	assert.Equal(t, 50000.0, res.Read["fine_amount_yuan"])
	assert.Equal(t, "general", res.Read["class"])
	assert.Equal(t, 422, res.BadStatus)
	assert.NotEmpty(t, res.BadCode)
}
