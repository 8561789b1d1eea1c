package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The API reference at /api/docs is rendered here from the OpenAPI document itself (no script and no inline style,
// so it works under the site's CSP): one section per tag, one entry per operation with its roles, parameters,
// request fields, and answers.

type docField struct{ Name, Type, Description string }

type docOperation struct {
	ID, Method, Path, Summary, Roles string
	Params                           []docField
	Body                             []docField
	BodyRef                          string
	Responses                        []docField
}

type docTag struct {
	Name string
	Ops  []docOperation
}

func (s *Server) apiDocsPage(c *fiber.Ctx) error {
	s.openapiOnce.Do(func() { s.openapiDoc, s.openapiErr = s.buildOpenAPI() })
	if s.openapiErr != nil {
		return s.openapiErr
	}
	var doc map[string]any
	if err := json.Unmarshal(s.openapiDoc, &doc); err != nil {
		return err
	}
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	tags := map[string]*docTag{}
	paths := doc["paths"].(map[string]any)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			op, ok := paths[p].(map[string]any)[m].(map[string]any)
			if !ok {
				continue
			}
			d := docOperation{ID: fmt.Sprint(op["operationId"]), Method: strings.ToUpper(m), Path: p}
			if v, ok := op["summary"].(string); ok {
				d.Summary = v
			}
			if roles, ok := op["x-roles"].([]any); ok && len(roles) > 0 {
				var rs []string
				for _, r := range roles {
					rs = append(rs, fmt.Sprint(r))
				}
				d.Roles = strings.Join(rs, "、")
			} else {
				d.Roles = "无需登录"
			}
			if ps, ok := op["parameters"].([]any); ok {
				for _, x := range ps {
					pm := x.(map[string]any)
					d.Params = append(d.Params, docField{Name: fmt.Sprint(pm["name"]), Type: fmt.Sprint(pm["in"]) + " · " + schemaType(pm["schema"], schemas),
						Description: str(pm["description"])})
				}
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				sc := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
				d.BodyRef = schemaType(sc, schemas)
				d.Body = schemaFields(sc, schemas)
			}
			rs := op["responses"].(map[string]any)
			for _, code := range slices.Sorted(maps.Keys(rs)) {
				r := rs[code].(map[string]any)
				typ := ""
				if ct, ok := r["content"].(map[string]any); ok {
					for media, v := range ct {
						typ = media + " · " + schemaType(v.(map[string]any)["schema"], schemas)
					}
				}
				d.Responses = append(d.Responses, docField{Name: code, Type: typ, Description: str(r["description"])})
			}
			tag := fmt.Sprint(op["tags"].([]any)[0])
			if tags[tag] == nil {
				tags[tag] = &docTag{Name: tag}
			}
			tags[tag].Ops = append(tags[tag].Ops, d)
		}
	}
	var list []docTag
	for _, t := range tags {
		list = append(list, *t)
	}
	slices.SortFunc(list, func(a, b docTag) int { return strings.Compare(a.Name, b.Name) })
	return s.page(c, "api_docs", pageData{Title: "API 参考", Data: map[string]any{"Tags": list,
		"Info": doc["info"], "Schemas": len(schemas)}})
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// schemaType is a short description of a schema: a component's name, array of X, a type and format.
func schemaType(v any, schemas map[string]any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return "任意"
	}
	if ref, ok := m["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#/components/schemas/")
	}
	if one, ok := m["oneOf"].([]any); ok {
		var ts []string
		for _, o := range one {
			ts = append(ts, schemaType(o, schemas))
		}
		return strings.Join(ts, " | ")
	}
	t := fmt.Sprint(m["type"])
	if m["type"] == nil {
		t = "任意"
	}
	if t == "array" {
		return "array of " + schemaType(m["items"], schemas)
	}
	if t == "object" {
		if props, ok := m["properties"].(map[string]any); ok {
			if items, ok := props["items"]; ok {
				return "page of " + schemaType(items.(map[string]any)["items"], schemas)
			}
		}
	}
	if f, ok := m["format"].(string); ok {
		t += " (" + f + ")"
	}
	return t
}

// schemaFields lists the properties of an object schema (following one $ref).
func schemaFields(v any, schemas map[string]any) []docField {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		m, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	props, _ := m["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []docField
	for _, n := range names {
		out = append(out, docField{Name: n, Type: schemaType(props[n], schemas), Description: str(props[n].(map[string]any)["description"])})
	}
	return out
}
